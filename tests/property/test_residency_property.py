"""Residency over random plans: RES-001 flags exactly the resources whose region is not allowed.

Plans are generated from a small spec (providers with regions given as constants or root
variables, resources in the root or in module instances on aliased providers, tags known or
only after apply), and the expected answer is computed from the spec directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from deployment_infra.policy import PolicyContext, check_plan

AWS = "registry.terraform.io/hashicorp/aws"
REGIONS = ["af-south-1", "eu-west-1", "us-east-1", "eu-central-1", "af-south-1"]
CLASSES = ["public", "internal", "personal", "sensitive-personal"]
BOGUS_CLASS = "top-secret"
TAGGABLE = {
    "aws_s3_bucket": True,
    "aws_sqs_queue": True,
    "aws_dynamodb_table": True,
    "aws_kms_key": True,
    "aws_route_table_association": False,
    "aws_s3_bucket_public_access_block": False,
}
ALIASES = ["eu", "us", "dr", "za", "backup"]
MODULES = ["store", "net", "app"]
ACTIONS = [["create"], ["no-op"], ["update"], ["delete", "create"], ["create", "delete"], ["delete"]]


@dataclass(frozen=True)
class ProviderSpec:
    key: str
    region: str
    via_variable: bool
    default_class: str | None  # DataClassification in default_tags, None: no default_tags


@dataclass(frozen=True)
class ResourceSpec:
    rtype: str
    name: str
    module: str  # module instance address, "" for root
    index: int | str | None
    provider: ProviderSpec
    own_class: str | None  # DataClassification set on the resource itself
    tags_known: bool  # False: tags_all only known after apply
    actions: tuple[str, ...]

    @property
    def address(self) -> str:
        base = f"{self.rtype}.{self.name}"
        if self.index is not None:
            base += f"[{self.index}]" if isinstance(self.index, int) else f'["{self.index}"]'
        return f"{self.module}.{base}" if self.module else base


@dataclass(frozen=True)
class Scenario:
    allowed: dict[str, frozenset[str]]
    providers: tuple[ProviderSpec, ...]
    resources: tuple[ResourceSpec, ...]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    allowed = {c: draw(st.frozensets(st.sampled_from(REGIONS), min_size=1)) for c in CLASSES}
    aliases = draw(st.lists(st.sampled_from(ALIASES), unique=True, max_size=4))
    providers = tuple(
        ProviderSpec(
            key=key,
            region=draw(st.sampled_from(REGIONS)),
            via_variable=draw(st.booleans()),
            default_class=draw(st.none() | st.sampled_from(CLASSES)),
        )
        for key in ["aws", *(f"aws.{a}" for a in aliases)]
    )
    # Each module gets one provider (its `providers = { aws = ... }`) and some instances.
    module_provider = {m: draw(st.sampled_from(providers)) for m in MODULES}
    instance_keys = st.one_of(st.none(), st.sampled_from(["a", "b.c"]), st.integers(0, 2))
    resources = []
    for i in range(draw(st.integers(0, 20))):
        module = draw(st.none() | st.sampled_from(MODULES))
        if module is None:
            module_address, provider = "", draw(st.sampled_from(providers))
        else:
            key = draw(instance_keys)
            suffix = "" if key is None else (f"[{key}]" if isinstance(key, int) else f'["{key}"]')
            module_address, provider = f"module.{module}{suffix}", module_provider[module]
        resources.append(
            ResourceSpec(
                rtype=draw(st.sampled_from(sorted(TAGGABLE))),
                name=f"r{i}",
                module=module_address,
                index=draw(st.none() | st.integers(0, 3) | st.sampled_from(["x", "y"])),
                provider=provider,
                own_class=draw(st.none() | st.sampled_from([*CLASSES, BOGUS_CLASS])),
                tags_known=draw(st.booleans()),
                actions=tuple(draw(st.sampled_from(ACTIONS))),
            )
        )
    return Scenario(allowed=allowed, providers=providers, resources=tuple(resources))


def variable_name(provider: ProviderSpec) -> str:
    return "region_" + provider.key.replace(".", "_")


def build_plan(scenario: Scenario) -> dict[str, Any]:
    provider_config: dict[str, Any] = {}
    variables: dict[str, Any] = {}
    for p in scenario.providers:
        expressions: dict[str, Any] = {}
        if p.via_variable:
            expressions["region"] = {"references": [f"var.{variable_name(p)}"]}
            variables[variable_name(p)] = {"value": p.region}
        else:
            expressions["region"] = {"constant_value": p.region}
        if p.default_class is not None:
            tags = {"Project": "ngapp", "DataClassification": p.default_class}
            expressions["default_tags"] = [{"tags": {"constant_value": tags}}]
        entry: dict[str, Any] = {"name": "aws", "full_name": AWS, "expressions": expressions}
        if "." in p.key:
            entry["alias"] = p.key.split(".", 1)[1]
        provider_config[p.key] = entry

    root: dict[str, Any] = {"resources": [], "module_calls": {}}
    changes = []
    for r in scenario.resources:
        own = {"DataClassification": r.own_class} if r.own_class is not None else None
        after: dict[str, Any] = {}
        after_unknown: dict[str, Any] = {}
        if TAGGABLE[r.rtype]:
            after["tags"] = own
            if r.tags_known:
                defaults = {"Project": "ngapp"} if r.provider.default_class is not None else {}
                if r.provider.default_class is not None:
                    defaults["DataClassification"] = r.provider.default_class
                after["tags_all"] = {**defaults, **(own or {})}
                after_unknown["tags_all"] = {}
            else:
                after_unknown["tags_all"] = True
        change: dict[str, Any] = {
            "address": r.address,
            "mode": "managed",
            "type": r.rtype,
            "name": r.name,
            "provider_name": AWS,
            "change": {
                "actions": list(r.actions),
                "before": None,
                "after": after,
                "after_unknown": after_unknown,
            },
        }
        if r.module:
            change["module_address"] = r.module
        if r.index is not None:
            change["index"] = r.index
        changes.append(change)

        module = root
        if r.module:
            name = r.module.split(".")[1].split("[")[0]
            call = module["module_calls"].setdefault(
                name, {"source": f"./{name}", "module": {"resources": []}}
            )
            module = call["module"]
        if not any(b["address"] == f"{r.rtype}.{r.name}" for b in module["resources"]):
            module["resources"].append(
                {
                    "address": f"{r.rtype}.{r.name}",
                    "mode": "managed",
                    "type": r.rtype,
                    "name": r.name,
                    "provider_config_key": r.provider.key,
                    "expressions": {},
                }
            )
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "variables": variables,
        "resource_changes": changes,
        "configuration": {"provider_config": provider_config, "root_module": root},
    }


def expected_flagged(scenario: Scenario) -> set[str]:
    strictest = frozenset.intersection(*scenario.allowed.values())
    flagged = set()
    for r in scenario.resources:
        if list(r.actions) == ["delete"]:
            continue
        data_class = None
        if TAGGABLE[r.rtype]:
            data_class = r.own_class if r.own_class is not None else r.provider.default_class
        if data_class is None:
            ok = r.provider.region in strictest
        else:
            ok = r.provider.region in scenario.allowed.get(data_class, frozenset())
        if not ok:
            flagged.add(r.address)
    return flagged


def context(scenario: Scenario) -> PolicyContext:
    return PolicyContext(allowed_regions=scenario.allowed, required_tags=("Project", "DataClassification"))


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_res001_flags_exactly_the_disallowed_regions(scenario: Scenario) -> None:
    violations = check_plan(build_plan(scenario), context(scenario))
    assert {v.address for v in violations if v.check_id == "RES-001"} == expected_flagged(scenario)
    assert not [v for v in violations if v.check_id == "RES-002"]  # every region here is resolvable


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.data())
def test_check_plan_is_deterministic_and_sorted(scenario: Scenario, data: st.DataObject) -> None:
    plan = build_plan(scenario)
    first = check_plan(plan, context(scenario))
    assert first == sorted(first)
    assert len(first) == len(set(first))
    assert check_plan(plan, context(scenario)) == first
    shuffled = {**plan, "resource_changes": data.draw(st.permutations(plan["resource_changes"]))}
    assert check_plan(shuffled, context(scenario)) == first
