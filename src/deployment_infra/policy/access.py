"""A small IAM policy evaluator: enough of AWS's rules to answer "can principal P read secret S?".

Same-account semantics: an explicit Deny in any policy wins; otherwise an Allow in the principal's
identity policies or in the resource's policy (naming the principal) grants; otherwise deny.
Supported: Effect, Action/NotAction, Resource/NotResource, Principal/NotPrincipal ("*", ARNs,
account ids and account roots), and Condition on aws:PrincipalArn / aws:PrincipalAccount with the
String*/Arn* operators (…IfExists included). Anything else in a Condition is *unknown*; the
evaluator is used to look for leaks, so an unknown condition is assumed to hold on an Allow and
not to hold on a Deny (the pessimistic reading for "could P read S").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from functools import lru_cache
from typing import Any

READ_SECRET = "secretsmanager:GetSecretValue"  # noqa: S105 (an IAM action name)


class Decision(Enum):
    ALLOW = "allow"
    DENY = "deny"
    NONE = "none"  # no statement applies


def parse_policy(document: Any) -> list[Mapping[str, Any]] | None:
    """The statements of a policy given as JSON text or a dict; None if it is not a policy."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return None
    if not isinstance(document, Mapping):
        return None
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, Mapping) for s in statements):
        return None
    return statements


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


@lru_cache(maxsize=4096)
def _glob(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", 0 if case_sensitive else re.IGNORECASE)


def wildcard_match(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM-style match: `*` any run of characters, `?` one character."""
    return _glob(pattern, case_sensitive).match(value) is not None


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" else None


def _principal_matches(spec: Any, principal: str) -> tuple[bool, bool]:
    """(matches, grants_alone) for a Principal element and a principal ARN.

    An account (id or :root ARN) matches every principal of that account, but only delegates to
    the account's IAM policies: it does not grant by itself.
    """
    if spec == "*":
        return True, True
    if not isinstance(spec, Mapping):
        return False, False
    for value in _as_list(spec.get("AWS")):
        if not isinstance(value, str):
            continue
        if value == "*":
            return True, True
        if value == principal:
            return True, True
        account = _account_of(principal)
        if account is not None and (value == account or value.endswith(f":{account}:root")):
            return True, False
    return False, False


_OPERATORS = {
    "StringEquals": (True, False, True),  # (positive, wildcard, case_sensitive)
    "StringNotEquals": (False, False, True),
    "StringEqualsIgnoreCase": (True, False, False),
    "StringNotEqualsIgnoreCase": (False, False, False),
    "StringLike": (True, True, True),
    "StringNotLike": (False, True, True),
    "ArnEquals": (True, True, True),  # Arn* operators accept wildcards in each ARN field
    "ArnLike": (True, True, True),
    "ArnNotEquals": (False, True, True),
    "ArnNotLike": (False, True, True),
}


def _condition_holds(condition: Any, principal: str) -> bool | None:
    """True/False when decidable for `principal`, None when it depends on something unknown."""
    if condition is None:
        return True
    if not isinstance(condition, Mapping):
        return None
    context = {"aws:principalarn": principal, "aws:principalaccount": _account_of(principal) or ""}
    verdict: bool | None = True
    for operator, pairs in condition.items():
        if not isinstance(operator, str) or not isinstance(pairs, Mapping):
            return None
        known = _OPERATORS.get(operator.removesuffix("IfExists"))
        if known is None:
            verdict = None
            continue
        positive, wildcard, case_sensitive = known
        for key, expected in pairs.items():
            actual = context.get(str(key).lower())
            if actual is None:
                verdict = None
                continue
            values = [str(v) for v in _as_list(expected)]
            if wildcard:
                hit = any(wildcard_match(v, actual, case_sensitive=case_sensitive) for v in values)
            elif case_sensitive:
                hit = actual in values
            else:
                hit = actual.lower() in (v.lower() for v in values)
            if hit != positive:
                return False
    return verdict


def statement_applies(
    statement: Mapping[str, Any], principal: str, action: str, resource: str, *, resource_policy: bool
) -> tuple[bool, bool]:
    """(applies, grants_alone) of one statement to a request, pessimistic about unknowns.

    `grants_alone` is False when a resource-policy statement names the principal's account rather
    than the principal (the account's identity policies must then allow too).
    """
    effect = statement.get("Effect")
    if "NotAction" in statement:
        if any(
            wildcard_match(str(p), action, case_sensitive=False) for p in _as_list(statement["NotAction"])
        ):
            return False, False
    elif not any(
        wildcard_match(str(p), action, case_sensitive=False) for p in _as_list(statement.get("Action"))
    ):
        return False, False
    if "NotResource" in statement:
        if any(wildcard_match(str(p), resource) for p in _as_list(statement["NotResource"])):
            return False, False
    elif ("Resource" in statement or not resource_policy) and not any(
        wildcard_match(str(p), resource) for p in _as_list(statement.get("Resource"))
    ):
        # (A resource policy may omit Resource: it then covers the resource it is attached to.)
        return False, False
    grants_alone = True
    if resource_policy:
        if "NotPrincipal" in statement:
            matches, _ = _principal_matches(statement["NotPrincipal"], principal)
            if matches:
                return False, False
        else:
            matches, grants_alone = _principal_matches(statement.get("Principal"), principal)
            if not matches:
                return False, False
    holds = _condition_holds(statement.get("Condition"), principal)
    if holds is None:
        holds = effect == "Allow"  # pessimistic: an unknown condition allows but never denies
    return holds, grants_alone


def decide(
    statements: Iterable[Mapping[str, Any]],
    principal: str,
    action: str,
    resource: str,
    *,
    resource_policy: bool,
    identity_allows: bool = False,
) -> Decision:
    """The decision of one policy for a request."""
    allowed = False
    for statement in statements:
        applies, grants_alone = statement_applies(
            statement, principal, action, resource, resource_policy=resource_policy
        )
        if not applies:
            continue
        if statement.get("Effect") == "Deny":
            return Decision.DENY
        if statement.get("Effect") == "Allow" and (grants_alone or identity_allows):
            allowed = True
    return Decision.ALLOW if allowed else Decision.NONE


def can_read_secret(
    principal: str,
    identity_policies: Sequence[Sequence[Mapping[str, Any]]],
    secret_arn: str,
    resource_policy: Sequence[Mapping[str, Any]] | None,
    action: str = READ_SECRET,
) -> bool:
    """Could `principal` (same account) call `action` on the secret, given every policy involved?"""
    identity = [
        decide(doc, principal, action, secret_arn, resource_policy=False) for doc in identity_policies
    ]
    if Decision.DENY in identity:
        return False
    identity_allows = Decision.ALLOW in identity
    resource = (
        decide(
            resource_policy,
            principal,
            action,
            secret_arn,
            resource_policy=True,
            identity_allows=identity_allows,
        )
        if resource_policy is not None
        else Decision.NONE
    )
    if resource is Decision.DENY:
        return False
    return identity_allows or resource is Decision.ALLOW
