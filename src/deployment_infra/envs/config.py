"""Environment configuration: non-secret variables of a service, one SSM parameter each.

"<parameter_prefix>/config/<NAME>" (type String) holds the value of NAME. The deploy engine reads them
(`read_config`) and renders them into the new task definition revision (`render_environment`), so a
change takes effect at the next deploy and is rolled back with the release. Secrets never go here:
they reach containers only through the task definition's `secrets` (Secrets Manager), so values and
names that look like one are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from deployment_infra.deploy.service import ServiceRef
from deployment_infra.errors import UsageError

NAME_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{0,63}\Z")  # \Z: "$" would let "NAME\n" through
# The deploy engine sets these itself; a configured value would silently lose to it.
RESERVED = frozenset({"APP_VERSION", "PORT"})
# Written by render_environment: which names the last render took from SSM, so that a later render
# drops a variable that was unset (entries from Terraform, e.g. DB_HOST, are kept).
MANAGED_MARKER = "INFRA_CONFIG_NAMES"
IGNORED_IN_DIFF = RESERVED | {MANAGED_MARKER}
MAX_VALUE_BYTES = 4096  # SSM standard tier

# Name words that say "secret". KEY only as a whole word (API_KEY) or a known compound, so that
# MONKEY or KEYCLOAK_URL stay allowed; the others anywhere in the name (DBPASSWORD).
_SECRET_NAME = re.compile(
    r"SECRET|PASSWORD|PASSWD|TOKEN|(?:^|_)(?:API|ACCESS|PRIVATE|SIGNING|ENCRYPTION)?KEYS?(?:_|$)"
)
_SECRET_VALUES = (
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"(?i)\b(?:password|passwd|pwd)\s*="), "a password"),
    (re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"://[^/\s:@]+:[^/\s@]+@"), "a URL with a password"),
)
_USE_SECRETS = "use Secrets Manager (the task definition's `secrets`) instead; nothing changed"

ChangeAction = Literal["added", "changed", "removed", "unchanged"]
DiffKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class Change:
    """What `set_values`/`unset` did to one name (`unchanged`: nothing was written)."""

    name: str
    action: ChangeAction
    old: str | None
    new: str | None

    def to_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "action": self.action, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class DiffRow:
    """One name that differs from `left` to `right` (`added`: only in right; `removed`: only in left)."""

    name: str
    change: DiffKind
    left: str | None
    right: str | None

    def to_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "change": self.change, "left": self.left, "right": self.right}


def config_path(ref: ServiceRef) -> str:
    return f"{ref.parameter_prefix}/config"


def parameter_name(ref: ServiceRef, name: str) -> str:
    return f"{config_path(ref)}/{name}"


def check_name_syntax(name: str) -> None:
    """UsageError unless `name` has the form of a configuration name."""
    if not NAME_PATTERN.match(name):
        raise UsageError(
            f"invalid name {name!r}: 1-64 characters of A-Z, 0-9 and '_', starting with a letter"
        )


def validate_name(name: str) -> None:
    """UsageError unless `name` may be configured."""
    check_name_syntax(name)
    if name in RESERVED or name == MANAGED_MARKER:
        raise UsageError(f"{name} is set by the deploy engine itself and cannot be configured")
    if _SECRET_NAME.search(name):
        raise UsageError(f"{name} looks like the name of a secret: {_USE_SECRETS}")


def validate_value(name: str, value: str) -> None:
    """UsageError unless `value` is a storable, non-secret value for `name`."""
    if not value:
        raise UsageError(f"{name}: empty value (to remove a variable, unset it)")
    if "\0" in value or not value.isprintable():
        raise UsageError(f"{name}: value must be printable text (no control characters or newlines)")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise UsageError(f"{name}: value is not valid UTF-8") from None
    if size > MAX_VALUE_BYTES:
        raise UsageError(f"{name}: value is {size} bytes, more than SSM's {MAX_VALUE_BYTES}")
    for pattern, what in _SECRET_VALUES:
        if pattern.search(value):
            raise UsageError(f"{name}: value looks like {what}: {_USE_SECRETS}")


def validate_pairs(pairs: Mapping[str, str]) -> None:
    """Check every pair; the first bad one raises, so a batch is all valid or nothing is written."""
    for name, value in pairs.items():
        validate_name(name)
        validate_value(name, value)


def read_config(ssm: Any, ref: ServiceRef) -> dict[str, str]:
    """NAME -> value of the environment's configuration (String parameters directly under /config)."""
    result: dict[str, str] = {}
    prefix = config_path(ref) + "/"
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path=config_path(ref), Recursive=False)
    for page in pages:
        for param in page.get("Parameters", []):
            name = str(param["Name"]).removeprefix(prefix)
            # a SecureString put here by hand would land in plaintext in the task definition
            if param.get("Type") == "String" and NAME_PATTERN.match(name):
                result[name] = str(param["Value"])
    return dict(sorted(result.items()))


def plan_changes(
    current: Mapping[str, str], pairs: Mapping[str, str], unset_names: Iterable[str] = ()
) -> list[Change]:
    """What setting `pairs` and removing `unset_names` would do to `current`, sorted by name."""
    changes = [
        Change(name, "unchanged" if current.get(name) == value else "changed", current.get(name), value)
        if name in current
        else Change(name, "added", None, value)
        for name, value in pairs.items()
    ]
    for name in unset_names:
        old = current.get(name)
        changes.append(Change(name, "removed" if old is not None else "unchanged", old, None))
    return sorted(changes, key=lambda c: c.name)


class ConfigWriteError(Exception):
    """A write failed mid-way; the message says whether the writes before it were undone."""


def set_values(ssm: Any, ref: ServiceRef, pairs: dict[str, str]) -> list[Change]:
    """Write `pairs`: all validated before any write; values already set are not rewritten."""
    return apply_changes(ssm, ref, pairs)


def unset(ssm: Any, ref: ServiceRef, names: Sequence[str]) -> list[Change]:
    """Delete the parameters of `names` (all checked first); names not set are reported unchanged.

    Only the syntax is checked: a name stored by hand that `set` would refuse can still be removed.
    """
    return apply_changes(ssm, ref, {}, names)


def apply_changes(
    ssm: Any, ref: ServiceRef, pairs: Mapping[str, str], unset_names: Sequence[str] = ()
) -> list[Change]:
    """Set `pairs` and remove `unset_names`, all or nothing.

    Everything is validated before the first write. SSM has no transactions, so when a write fails
    mid-way (throttling past the retries, a revoked permission) the writes already made are undone,
    newest first, and ConfigWriteError says so; only if an undo fails too does it name what stayed written.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    validate_pairs(pairs)
    for name in unset_names:
        check_name_syntax(name)
    changes = plan_changes(read_config(ssm, ref), pairs, unset_names)
    made: list[Change] = []
    try:
        for change in changes:
            if change.action != "unchanged":
                _write(ssm, ref, change)
                made.append(change)
    except (ClientError, BotoCoreError) as exc:
        raise ConfigWriteError(_undo(ssm, ref, made, cause=exc)) from None
    return changes


def _write(ssm: Any, ref: ServiceRef, change: Change) -> None:
    if change.action == "removed":
        ssm.delete_parameter(Name=parameter_name(ref, change.name))
        return
    kwargs: dict[str, Any] = {
        "Name": parameter_name(ref, change.name),
        "Value": change.new,
        "Type": "String",
        "Description": "environment variable, set by `infra config set`",
    }
    if change.action == "added":
        # tags are accepted only on creation; a concurrent writer fails here instead of being lost
        kwargs["Tags"] = [
            {"Key": "Project", "Value": ref.project},
            {"Key": "Environment", "Value": ref.environment},
            {"Key": "ManagedBy", "Value": "infra-config"},
        ]
    else:
        kwargs["Overwrite"] = True
    ssm.put_parameter(**kwargs)


def _undo(ssm: Any, ref: ServiceRef, made: list[Change], *, cause: Exception) -> str:
    """Reverse `made`, newest first; the message for ConfigWriteError."""
    from botocore.exceptions import BotoCoreError, ClientError

    inverse: dict[ChangeAction, ChangeAction] = {
        "added": "removed",
        "removed": "added",
        "changed": "changed",
        "unchanged": "unchanged",
    }
    left = list(made)
    try:
        while left:
            done = left[-1]
            _write(ssm, ref, Change(done.name, inverse[done.action], done.new, done.old))
            left.pop()
    except (ClientError, BotoCoreError) as exc:
        names = ", ".join(c.name for c in left)
        return f"{cause}; undoing the writes made before it failed too ({exc}): {names} stayed as written"
    if not made:
        return f"{cause}; nothing changed"
    return f"{cause}; nothing changed: the {len(made)} write(s) made before it were undone"


def diff_envs(a: Mapping[str, str], b: Mapping[str, str]) -> list[DiffRow]:
    """Names whose value differs from `a` (left) to `b` (right), sorted by name."""
    rows: list[DiffRow] = []
    for name in sorted(set(a) | set(b)):
        left, right = a.get(name), b.get(name)
        if left == right:
            continue
        kind: DiffKind = "added" if left is None else "removed" if right is None else "changed"
        rows.append(DiffRow(name, kind, left, right))
    return rows


def pending(config: Mapping[str, str], task_definition_env: Mapping[str, str]) -> list[DiffRow]:
    """What the next deploy changes: left = the live task definition, right = SSM.

    A live variable missing from SSM counts as removed only if an earlier render took it from SSM
    (MANAGED_MARKER); others came from Terraform (DB_HOST) and stay. APP_VERSION and PORT are ignored.
    """
    managed = _managed_names(task_definition_env.get(MANAGED_MARKER, ""))
    live = {k: v for k, v in task_definition_env.items() if k in managed or k in config}
    wanted = {k: v for k, v in config.items() if k not in IGNORED_IN_DIFF}
    return [row for row in diff_envs(live, wanted) if row.name not in IGNORED_IN_DIFF]


def render_environment(config: Mapping[str, str], base: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """The container's `environment` for a new revision: `base` (the live one) overlaid with `config`.

    Variables an earlier render took from SSM and that are no longer configured are dropped; the rest
    of `base` (Terraform-set addresses) is kept. Sorted by name, one entry per name, plus the marker.
    APP_VERSION/PORT in `config` are ignored: the engine sets them after rendering.
    """
    env = {str(e["name"]): str(e.get("value", "")) for e in base}
    for name in _managed_names(env.pop(MANAGED_MARKER, "")):
        env.pop(name, None)
    wanted = {k: v for k, v in config.items() if k not in IGNORED_IN_DIFF}
    env.update(wanted)
    if wanted:
        env[MANAGED_MARKER] = ",".join(sorted(wanted))
    return [{"name": name, "value": env[name]} for name in sorted(env)]


def environment_dict(entries: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """An ECS `environment` list as NAME -> value."""
    return {str(e["name"]): str(e.get("value", "")) for e in entries}


def _managed_names(marker: str) -> set[str]:
    return {n for n in marker.split(",") if n}
