"""Reading `terraform show -json` plans and indexing them into a PlanView in one pass."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Any

from deployment_infra.errors import UsageError
from deployment_infra.policy.model import IndexKey, PlanView, Resource, TagSet

# Providers whose resources live only in Terraform state or on the machine running it:
# they have no AWS region, so residency does not apply to them.
LOCAL_ONLY_PROVIDERS = frozenset(
    {
        "terraform.io/builtin/terraform",
        "registry.terraform.io/hashicorp/archive",
        "registry.terraform.io/hashicorp/local",
        "registry.terraform.io/hashicorp/null",
        "registry.terraform.io/hashicorp/random",
        "registry.terraform.io/hashicorp/time",
        "registry.terraform.io/hashicorp/tls",
    }
)

_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_KEY = r'\d+|"(?:[^"\\]|\\.)*"'
_MODULE_STEP = re.compile(rf"module\.({_NAME})(?:\[(?:{_KEY})\])?")
_REFERENCE = re.compile(rf"({_NAME}\.{_NAME})(?:\[({_KEY})\])?")
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_NONE: frozenset[str] = frozenset()

ConfigIndex = dict[tuple[str, ...], dict[str, Mapping[str, Any]]]


def load_plan_file(path: Path) -> dict[str, Any]:
    """Read the JSON of `terraform show -json PLANFILE`; UsageError (one line) if it is not one."""
    hint = "expected the output of `terraform show -json PLANFILE`"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: plan file not found") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read plan file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text; {hint}") from None
    try:
        with gc_paused():
            doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:  # e.g. huge integers, absurd nesting
        raise UsageError(f"{path}: not usable JSON ({exc})") from None
    problem = plan_problem(doc)
    if problem:
        raise UsageError(f"{path}: {problem}; {hint}")
    if not isinstance(doc, dict):  # for the type checker; plan_problem rejected the rest
        raise UsageError(f"{path}: not a terraform plan JSON; {hint}")
    return doc


def plan_problem(doc: Any) -> str | None:
    """Why `doc` is not a checkable terraform plan JSON, or None if it is one."""
    if not isinstance(doc, Mapping):
        return "not a terraform plan JSON (top level is not an object)"
    version = doc.get("format_version")
    if not isinstance(version, str):
        return "not a terraform plan JSON (no format_version)"
    if "resource_changes" not in doc and "planned_values" not in doc:
        return "not a terraform plan JSON (no resource_changes or planned_values)"
    if not isinstance(doc.get("resource_changes", []), list):
        return "not a terraform plan JSON (resource_changes is not a list)"
    if version.split(".")[0] != "1":
        return f"unsupported plan format_version {version!r} (supported: 1.x)"
    if doc.get("errored") is True:
        return "the plan errored; it does not describe what apply would do"
    return None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Suspend the cyclic garbage collector for a bulk build of acyclic objects.

    Parsing or indexing a large plan allocates millions of containers; the collector would
    rescan them again and again (about half the time on a 50,000-resource plan) and find no
    cycles. The previous state is restored, so a caller that disabled it keeps it disabled.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_view(plan: Mapping[str, Any]) -> PlanView:
    """Index `plan` once: live managed resources with their config, region and tags.

    `plan` is the document as json.load returns it (nested objects are dicts).
    """
    with gc_paused():
        return _build_view(plan)


def _build_view(plan: Mapping[str, Any]) -> PlanView:
    problem = plan_problem(plan)
    if problem:
        raise UsageError(problem)
    changes = _resource_changes(plan)
    configuration = _mapping(plan.get("configuration"))
    provider_config = _mapping(configuration.get("provider_config"))
    config_index = index_configuration(_mapping(configuration.get("root_module")))
    variables = _mapping(plan.get("variables"))

    # Both caches hold what all resources of one module instance / provider share: O(n) overall.
    blocks_of: dict[str, Mapping[str, Mapping[str, Any]]] = {}
    provider_of: dict[str | None, tuple[str | None, str | None, Mapping[str, Any] | None]] = {
        None: (None, "its configuration block (and so its provider) is not in the plan", None)
    }
    resources: list[Resource] = []
    for position, rc in enumerate(changes):
        if not isinstance(rc, dict):
            raise UsageError(f"resource_changes[{position}] is not an object")
        if rc.get("mode") != "managed":
            continue
        address, rtype, name = rc.get("address"), rc.get("type"), rc.get("name")
        change = rc.get("change")
        if not (isinstance(address, str) and isinstance(rtype, str) and isinstance(name, str)):
            raise UsageError(f"resource_changes[{position}] has no address, type or name")
        if not isinstance(change, dict) or not isinstance(change.get("actions"), list):
            raise UsageError(f"resource_changes[{position}] ({address}) has no change.actions")
        if change["actions"] == ["delete"]:
            continue  # will not exist after apply
        after = change.get("after")
        after_unknown = change.get("after_unknown")
        # after is null for actions without a new object (e.g. "forget"): nothing known, so
        # every check that needs a value fails closed on it.
        after = after if isinstance(after, dict) else _EMPTY
        after_unknown = after_unknown if isinstance(after_unknown, dict) else _EMPTY

        module_address = rc.get("module_address") or ""
        if not isinstance(module_address, str):
            raise UsageError(f"resource_changes[{position}] ({address}) has a non-string module_address")
        blocks = blocks_of.get(module_address)
        if blocks is None:
            path = module_path(module_address)
            blocks = blocks_of[module_address] = (
                config_index.get(path, _EMPTY) if path is not None else _EMPTY
            )
        config = blocks.get(f"{rtype}.{name}")
        key = config.get("provider_config_key") if config is not None else None
        provider_key = key if isinstance(key, str) else None
        provider = provider_of.get(provider_key)
        if provider is None and provider_key is not None:
            entry = provider_config.get(provider_key)
            provider = provider_of[provider_key] = (
                *resolve_region(provider_key, provider_config, variables),
                entry if isinstance(entry, dict) else None,
            )
        region, region_error, provider_entry = provider or provider_of[None]
        provider_name = rc.get("provider_name")
        if not isinstance(provider_name, str):
            provider_name = ""
        elif provider_name in LOCAL_ONLY_PROVIDERS:
            region = region_error = None

        index = rc.get("index")
        resources.append(
            Resource(
                address=address,
                module_address=module_address,
                type=rtype,
                name=name,
                index=index if isinstance(index, (int, str)) and not isinstance(index, bool) else None,
                provider_name=provider_name,
                provider_key=provider_key,
                after=after,
                after_unknown=after_unknown,
                config=config,
                region=region,
                region_error=region_error,
                tags=resource_tags(after, after_unknown, provider_entry, variables),
            )
        )
    return PlanView.of(resources)


def _resource_changes(plan: Mapping[str, Any]) -> list[Any]:
    changes = plan.get("resource_changes")
    if changes is None:
        # terraform omits resource_changes when nothing changes; if planned_values still lists
        # resources, the document is inconsistent and cannot be checked.
        if _has_planned_resources(_mapping(_mapping(plan.get("planned_values")).get("root_module"))):
            raise UsageError("plan has planned_values resources but no resource_changes")
        return []
    if not isinstance(changes, list):
        raise UsageError("resource_changes is not a list")
    return changes


def _has_planned_resources(module: Mapping[str, Any]) -> bool:
    if module.get("resources"):
        return True
    children = module.get("child_modules")
    return isinstance(children, list) and any(_has_planned_resources(_mapping(c)) for c in children)


def index_configuration(root_module: Mapping[str, Any]) -> ConfigIndex:
    """Module name path -> {"type.name" -> configuration block} for every module in the tree."""
    index: ConfigIndex = {}
    stack: list[tuple[tuple[str, ...], Mapping[str, Any]]] = [((), root_module)]
    while stack:
        path, module = stack.pop()
        blocks = index.setdefault(path, {})
        resources = module.get("resources")
        if isinstance(resources, list):
            for block in resources:
                if isinstance(block, dict) and isinstance(block.get("address"), str):
                    blocks[block["address"]] = block
        calls = module.get("module_calls")
        if isinstance(calls, dict):
            for call_name, call in calls.items():
                child = call.get("module") if isinstance(call, dict) else None
                if isinstance(child, dict):
                    stack.append(((*path, call_name), child))
    return index


def module_path(module_address: str) -> tuple[str, ...] | None:
    """`module.a["x"].module.b[0]` -> ("a", "b"); None if it is not a module address."""
    if not module_address:
        return ()
    names: list[str] = []
    pos = 0
    while True:
        match = _MODULE_STEP.match(module_address, pos)
        if match is None:
            return None
        names.append(match.group(1))
        pos = match.end()
        if pos == len(module_address):
            return tuple(names)
        if module_address[pos] != ".":
            return None
        pos += 1


def split_reference(ref: str) -> tuple[str, bool, IndexKey] | None:
    """`aws_s3_bucket.b["k"].id` -> ("aws_s3_bucket.b", True, "k"); `aws_s3_bucket.b.id` ->
    ("aws_s3_bucket.b", False, None); None if `ref` is not a resource reference we can read."""
    match = _REFERENCE.match(ref)
    if match is None:
        return None
    rest = ref[match.end() :]
    if rest and rest[0] not in ".[":
        return None
    raw_key = match.group(2)
    if raw_key is None:
        return match.group(1), False, None
    if raw_key.isdigit():
        return match.group(1), True, int(raw_key)
    try:
        key = json.loads(raw_key)
    except json.JSONDecodeError:
        return None  # an escape we cannot decode: do not guess which instance it names
    return (match.group(1), True, key) if isinstance(key, str) else None


def resolve_region(
    key: str, provider_config: Mapping[str, Any], variables: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    """(region, None) for provider config `key`, or (None, why it cannot be determined)."""
    entry = provider_config.get(key)
    if not isinstance(entry, dict):
        return None, f"its provider configuration {key!r} is not in the plan"
    expressions = _mapping(entry.get("expressions"))
    expr = expressions.get("region")
    if not isinstance(expr, dict):
        if entry.get("module_address") and not expressions:
            # terraform writes an empty `module.x:aws` entry both for an explicit empty provider
            # block and for a provider inherited through a module that does not declare it.
            return None, (
                f"provider {key!r} sets no region (an inherited provider looks like this when "
                "a parent module does not list it in required_providers)"
            )
        return None, f"provider {key!r} sets no region (it would come from the environment)"
    if "constant_value" in expr:
        value = expr["constant_value"]
        if isinstance(value, str) and value:
            return value, None
        return None, f"provider {key!r} has region {value!r}, which is not a region name"
    refs = expr.get("references")
    if not isinstance(refs, list) or not refs or not all(isinstance(r, str) for r in refs):
        return None, f"provider {key!r} has a region expression without a value"
    shown = ", ".join(refs)
    if entry.get("module_address") or ":" in key:
        return None, f"provider {key!r} is configured inside a module and takes its region from {shown}"
    distinct = set(refs)
    ref = refs[0]
    name = ref[4:]
    if len(distinct) != 1 or not ref.startswith("var.") or not re.fullmatch(_NAME, name):
        return None, f"provider {key!r} computes its region from {shown} (use a constant or var.NAME)"
    variable = variables.get(name)
    value = variable.get("value") if isinstance(variable, dict) else None
    if isinstance(value, str) and value:
        return value, None
    return None, f"provider {key!r} takes its region from var.{name}, which has no string value in the plan"


def resource_tags(
    after: Mapping[str, Any],
    after_unknown: Mapping[str, Any],
    provider: Mapping[str, Any] | None,
    variables: Mapping[str, Any] = _EMPTY,
) -> TagSet | None:
    """The tags the resource will have (tags_all), or None if the resource type takes no tags.

    `provider` is the provider_config entry of the resource (None if unknown); its default_tags
    (a constant, or a root module variable's value from `variables`) fill in when tags_all is only
    known after apply.
    """
    if "tags_all" not in after and "tags_all" not in after_unknown:
        return None
    unknown_all = after_unknown.get("tags_all")
    if unknown_all is not True:
        values = after.get("tags_all")
        unknown = _unknown_keys(unknown_all)
        return TagSet(values=values if isinstance(values, dict) else _EMPTY, unknown=unknown)
    unknown_own = after_unknown.get("tags")
    if unknown_own is True:
        return TagSet(values=_EMPTY, complete=False)
    defaults, complete = _default_tags(provider, variables)
    own = after.get("tags")
    # Resource tags override default_tags, unknown ones included (they stay listed in unknown).
    merged = {**defaults, **own} if isinstance(own, dict) else defaults
    return TagSet(values=merged, unknown=_unknown_keys(unknown_own), complete=complete)


def _default_tags(
    provider: Mapping[str, Any] | None, variables: Mapping[str, Any] = _EMPTY
) -> tuple[dict[str, Any], bool]:
    """(default tags, whether they are fully known) of a provider_config entry: a constant, or
    exactly one root module variable (`tags = var.default_tags`) whose value the plan records."""
    if provider is None:
        return {}, False
    blocks = _mapping(provider.get("expressions")).get("default_tags")
    if blocks is None or blocks == []:
        return {}, True
    if not isinstance(blocks, list) or not isinstance(blocks[0], dict):
        return {}, False
    tags_expr = blocks[0].get("tags")
    if tags_expr is None:
        return {}, True  # an empty default_tags block
    if isinstance(tags_expr, dict) and isinstance(tags_expr.get("constant_value"), dict):
        return dict(tags_expr["constant_value"]), True
    refs = tags_expr.get("references") if isinstance(tags_expr, dict) else None
    # A module's provider would reference the module's own variable, which the plan does not
    # record: only root module providers (no module_address) resolve.
    if refs and len(refs) == 1 and isinstance(refs[0], str) and not provider.get("module_address"):
        name = refs[0].removeprefix("var.")
        variable = variables.get(name) if refs[0].startswith("var.") and "." not in name else None
        value = variable.get("value") if isinstance(variable, dict) else None
        if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            return dict(value), True
    return {}, False  # computed (e.g. from a local): not visible in the plan


def _unknown_keys(value: Any) -> frozenset[str]:
    if not value or not isinstance(value, dict):
        return _NONE  # the usual case ({}): no allocation
    return frozenset(k for k, v in value.items() if v is True)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else _EMPTY
