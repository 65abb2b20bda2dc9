"""IAM policies as far as a plan's configuration tells, for `infra docs data-flows`: the Allow
statements of aws_iam_policy_document data sources (or constant JSON) a policy expression leads to,
which actions disclose a store's data, and how principals are shown. Conditions and Deny
statements are not evaluated: they can only narrow what the statements grant.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from deployment_infra.ops.data_flows_refs import Configuration, Reach, data_key, expression, references, short
from deployment_infra.policy.model import IndexKey

# IAM action prefix -> the register service of the stores it acts on.
ACTION_SERVICES: Mapping[str, str] = {
    "s3": "s3",
    "secretsmanager": "secretsmanager",
    "logs": "logs",
    "elasticfilesystem": "efs",
    "rds": "rds",
    "rds-db": "rds",
    "rds-data": "rds",
    "dynamodb": "dynamodb",
    "backup": "backup",
    "elasticache": "elasticache",
}
# Verbs that disclose data (or copy it somewhere it can be read); everything else only writes or
# manages. Wildcards count as reading.
_READ_VERBS = (
    "get",
    "batchget",
    "list",
    "read",
    "query",
    "scan",
    "select",
    "filterlogevents",
    "startquery",
    "startlivetail",
    "clientmount",
    "connect",
    "executestatement",
    "batchexecutestatement",
    "restore",
    "copy",
    "export",
    "startexport",
    "startrestorejob",
    "startcopyjob",
    "createdbsnapshot",
    "createdbclustersnapshot",
    "createsnapshot",
)
# Verbs that put data into a store.
_WRITE_VERBS = ("put", "write", "clientwrite", "upload", "update", "create", "batchwrite", "replicate")
# "Get" calls that return no stored data.
_NOT_READING = frozenset({"getrandompassword", "getresourcepolicy", "getauthorizationtoken"})

POLICY_DOCUMENT = "data.aws_iam_policy_document."


@dataclass(frozen=True)
class Statement:
    """One Allow statement as far as the configuration tells."""

    actions: tuple[str, ...] | None  # None: computed, not in the configuration
    resources: Reach  # what its resources name
    any_resource: bool = False  # "*" or NotResource: every store its actions reach
    principals: tuple[tuple[str, bool], ...] = ()  # (shown name, exact), for resource policies
    unresolved_principals: tuple[str, ...] = ()
    exact: bool = True  # False: the document is one of several the policy may use


def verb_reads(action: str) -> bool:
    verb = action.split(":", 1)[-1].lower()
    return "*" in verb or (verb.startswith(_READ_VERBS) and verb not in _NOT_READING)


def verb_writes(action: str) -> bool:
    verb = action.split(":", 1)[-1].lower()
    return "*" in verb or verb.startswith(_WRITE_VERBS)


def acts_on(actions: tuple[str, ...] | None, service: str) -> tuple[bool, bool]:
    """(discloses data of, writes data to) stores of `service`, for a statement's actions."""
    if actions is None:
        return True, True
    reads = writes = False
    for action in actions:
        prefix = action.split(":", 1)[0].lower()
        if action == "*" or ACTION_SERVICES.get(prefix) == service:
            reads = reads or verb_reads(action)
            writes = writes or verb_writes(action)
    return reads, writes


def principal_name(kind: str, identifier: str) -> str:
    """How a constant principal is shown: service principals as they are, roles by name."""
    if identifier == "*":
        return 'anyone ("*")'
    if kind == "Service":
        return identifier
    if identifier.startswith("arn:") and ":role/" in identifier:
        return identifier.rsplit("/", 1)[-1]
    if identifier.endswith(":root") or identifier.isdigit():
        account = identifier.split(":")[4] if identifier.startswith("arn:") else identifier
        return f"account {account} (its IAM policies decide)"
    return identifier


def _constant(expr: Any) -> Any:
    return expr.get("constant_value") if isinstance(expr, dict) else None


class Policies:
    """Statements of the plan's policies, by following their configuration."""

    def __init__(self, config: Configuration) -> None:
        self.config = config

    def name_of(self, address: str) -> str:
        """A role by its name when the configuration gives it, anything else by short address."""
        res = self.config.view.by_address.get(address)
        if res is not None and res.type == "aws_iam_role" and isinstance(res.after.get("name"), str):
            return str(res.after["name"])
        return short(address)

    def statements(self, scope: str, expr: Any, key: IndexKey, depth: int = 0) -> list[Statement]:
        """The Allow statements of the policy expression `expr` of module instance `scope`."""
        if not isinstance(expr, dict) or depth > 8:
            return []
        if "constant_value" in expr:
            return json_statements(expr["constant_value"])
        reach = self.config.follow(scope, references(expr), key)
        found: list[Statement] = []
        named = Reach()
        documents = 0
        for address, exact in sorted(reach.targets.items()):
            res = self.config.view.by_address.get(address)
            if POLICY_DOCUMENT in f".{address}":
                documents += 1
                found.extend(replace_exact(s, exact) for s in self._document(address, depth))
            elif res is not None and res.type == "aws_iam_policy":
                inner = self.statements(
                    res.module_address, expression(res.config, ["policy"]), res.index, depth + 1
                )
                found.extend(replace_exact(s, exact) for s in inner)
            else:
                named.add(address, exact)
        if not documents:
            # Built some other way (jsonencode of references, a local): what it names is known,
            # not which actions on it.
            named.unresolved.extend(reach.unresolved)
        if named.targets or named.unresolved:
            found.append(Statement(None, named))
        return found

    def _document(self, address: str, depth: int) -> Iterator[Statement]:
        scope, block_key, key = data_key(address)
        block = self.config.block(scope, block_key)
        for name in ("source_policy_documents", "override_policy_documents"):
            yield from self.statements(scope, expression(block, [name]), key, depth + 1)
        blocks = expression(block, ["statement"])
        for stmt in blocks if isinstance(blocks, list) else []:
            if not isinstance(stmt, dict) or (_constant(stmt.get("effect")) or "Allow") != "Allow":
                continue
            actions = _constant(stmt.get("actions"))
            constants = _constant(stmt.get("resources"))
            names: list[tuple[str, bool]] = []
            unresolved: list[str] = []
            for principal in stmt.get("principals") or []:
                self._principals(scope, principal, key, names, unresolved)
            yield Statement(
                tuple(str(a) for a in actions)
                if isinstance(actions, list) and "not_actions" not in stmt
                else None,
                self.config.follow(scope, references(stmt.get("resources")), key),
                "not_resources" in stmt or (isinstance(constants, list) and "*" in constants),
                tuple(names),
                tuple(unresolved),
            )

    def _principals(
        self, scope: str, principal: Any, key: IndexKey, names: list[tuple[str, bool]], unresolved: list[str]
    ) -> None:
        if not isinstance(principal, dict):
            return
        kind = str(_constant(principal.get("type")) or "AWS")
        ids = _constant(principal.get("identifiers"))
        if isinstance(ids, list):
            names.extend((principal_name(kind, str(i)), True) for i in ids)
        reach = self.config.follow(scope, references(principal.get("identifiers")), key)
        names.extend((self.name_of(a), exact) for a, exact in sorted(reach.targets.items()))
        unresolved.extend(f"principals from {why}" for why in reach.unresolved)


def replace_exact(statement: Statement, exact: bool) -> Statement:
    if exact:
        return statement
    return Statement(
        statement.actions,
        statement.resources,
        statement.any_resource,
        statement.principals,
        statement.unresolved_principals,
        False,
    )


def json_statements(value: Any) -> list[Statement]:
    """Allow statements of a constant policy document (JSON text or an object)."""
    try:
        doc = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return []
    stmts = doc.get("Statement") if isinstance(doc, dict) else None
    stmts = [stmts] if isinstance(stmts, dict) else stmts
    found: list[Statement] = []
    for stmt in stmts if isinstance(stmts, list) else []:
        if not isinstance(stmt, dict) or stmt.get("Effect") != "Allow":
            continue
        actions = stmt.get("Action")
        actions = [actions] if isinstance(actions, str) else actions
        resources = stmt.get("Resource")
        resources = [resources] if isinstance(resources, str) else resources or []
        names: list[tuple[str, bool]] = []
        principal = stmt.get("Principal")
        if principal == "*":
            names.append((principal_name("AWS", "*"), True))
        elif isinstance(principal, dict):
            for kind, ids in sorted(principal.items()):
                names.extend(
                    (principal_name(kind, str(i)), True) for i in ([ids] if isinstance(ids, str) else ids)
                )
        known = isinstance(actions, list) and "NotAction" not in stmt
        found.append(
            Statement(
                tuple(str(a) for a in actions) if known and isinstance(actions, list) else None,
                Reach(),
                "*" in resources or "NotResource" in stmt,
                tuple(names),
            )
        )
    return found
