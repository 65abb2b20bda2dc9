"""Each policy check on minimal plan fragments shaped like `terraform show -json` (format 1.2)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from deployment_infra.errors import UsageError
from deployment_infra.policy import CHECKS, PolicyContext, Violation, check_plan

AWS = "registry.terraform.io/hashicorp/aws"
REQUIRED = ("Project", "Owner", "DataClassification")
GOOD_TAGS = {"Project": "ngapp", "Owner": "platform", "DataClassification": "internal"}
CTX = PolicyContext(
    allowed_regions={
        "public": frozenset({"af-south-1", "eu-west-1"}),
        "internal": frozenset({"af-south-1"}),
        "personal": frozenset({"af-south-1"}),
    },
    required_tags=REQUIRED,
)
UNKNOWN = object()  # tags_all known only after apply
UNTAGGABLE = object()  # the resource type has no tags_all


@dataclass
class Res:
    """One resource instance: becomes a resource_changes entry and a configuration block."""

    type: str
    name: str
    module: str = ""  # module instance address, e.g. 'module.m["a"]'
    index: int | str | None = None
    provider_key: str = "aws"
    tags_all: Any = field(default_factory=lambda: dict(GOOD_TAGS))
    tags: Any = None
    after: dict[str, Any] = field(default_factory=dict)
    after_unknown: dict[str, Any] = field(default_factory=dict)
    actions: tuple[str, ...] = ("create",)
    expressions: dict[str, Any] = field(default_factory=dict)
    for_each: list[str] | None = None
    mode: str = "managed"
    provider_name: str = AWS

    @property
    def address(self) -> str:
        base = f"{self.type}.{self.name}" if self.mode == "managed" else f"data.{self.type}.{self.name}"
        if self.index is not None:
            base += f"[{self.index}]" if isinstance(self.index, int) else f'["{self.index}"]'
        return f"{self.module}.{base}" if self.module else base

    def change(self) -> dict[str, Any]:
        after = dict(self.after)
        unknown = dict(self.after_unknown)
        if self.tags_all is UNKNOWN:
            after["tags"] = self.tags
            unknown["tags_all"] = True
        elif self.tags_all is not UNTAGGABLE:
            after["tags"] = self.tags
            after["tags_all"] = self.tags_all
            unknown.setdefault("tags_all", {})
        entry: dict[str, Any] = {
            "address": self.address,
            "mode": self.mode,
            "type": self.type,
            "name": self.name,
            "provider_name": self.provider_name,
            "change": {
                "actions": list(self.actions),
                "before": None,
                "after": after,
                "after_unknown": unknown,
            },
        }
        if self.module:
            entry["module_address"] = self.module
        if self.index is not None:
            entry["index"] = self.index
        return entry

    def block(self) -> dict[str, Any]:
        prefix = "" if self.mode == "managed" else "data."
        block: dict[str, Any] = {
            "address": f"{prefix}{self.type}.{self.name}",
            "mode": self.mode,
            "type": self.type,
            "name": self.name,
            "provider_config_key": self.provider_key,
            "expressions": self.expressions,
        }
        if self.for_each is not None:
            block["for_each_expression"] = {"references": self.for_each}
        return block


def provider(region: Any = "af-south-1", **extra: Any) -> dict[str, Any]:
    """A provider_config entry; region may be a str (constant), a dict expression, or None."""
    expressions: dict[str, Any] = {}
    if isinstance(region, str):
        expressions["region"] = {"constant_value": region}
    elif isinstance(region, dict):
        expressions["region"] = region
    if "default_tags" in extra:
        expressions["default_tags"] = [{"tags": extra.pop("default_tags")}]
    return {"name": "aws", "full_name": AWS, "expressions": expressions, **extra}


def make_plan(
    *resources: Res,
    providers: dict[str, Any] | None = None,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    root: dict[str, Any] = {"resources": [], "module_calls": {}}
    seen: set[tuple[str, ...]] = set()
    for res in resources:
        path = re.findall(r"module\.([\w-]+)", res.module)
        module = root
        for name in path:
            call = module["module_calls"].setdefault(name, {"source": f"./{name}", "module": {}})
            module = call["module"]
            module.setdefault("resources", [])
            module.setdefault("module_calls", {})
        key = (*path, res.mode, res.type, res.name)
        if key not in seen:
            seen.add(key)
            module["resources"].append(res.block())
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "variables": {name: {"value": value} for name, value in (variables or {}).items()},
        "resource_changes": [res.change() for res in resources],
        "configuration": {
            "provider_config": providers if providers is not None else {"aws": provider()},
            "root_module": root,
        },
    }


def found(plan: dict[str, Any], check_id: str | None = None) -> set[tuple[str, str]]:
    return {
        (v.check_id, v.address) for v in check_plan(plan, CTX) if check_id is None or v.check_id == check_id
    }


def only(plan: dict[str, Any], check_id: str) -> list[Violation]:
    return [v for v in check_plan(plan, CTX) if v.check_id == check_id]


EU = {"aws": provider(), "aws.eu": provider("eu-west-1", alias="eu")}


# --- registry and results -------------------------------------------------------------------


def test_checks_are_registered_in_id_order() -> None:
    ids = [check.id for check in CHECKS]
    assert ids == [
        "CACHE-001",
        "CACHE-002",
        "CDN-001",
        "DB-001",
        "DB-002",
        "DB-003",
        "DB-004",
        "ENC-001",
        "ENC-002",
        "ENC-003",
        "RES-001",
        "RES-002",
        "RES-003",
        "RES-004",
        "RES-005",
        "RES-006",
        "RES-007",
        "SEC-001",
        "SEC-002",
        "TAG-001",
    ]
    assert all(check.title for check in CHECKS)


def test_clean_plan_has_no_violations() -> None:
    plan = make_plan(
        Res("aws_sqs_queue", "q"),
        Res("aws_iam_role_policy_attachment", "a", tags_all=UNTAGGABLE),
    )
    assert check_plan(plan, CTX) == []


def test_violations_are_sorted_and_serialisable() -> None:
    plan = make_plan(
        Res("aws_sqs_queue", "z", provider_key="aws.eu"),
        Res("aws_dynamodb_table", "a", provider_key="aws.eu"),
        providers=EU,
    )
    result = check_plan(plan, CTX)
    assert result == sorted(result)
    assert len(result) == len(set(result))
    assert [(v.check_id, v.address) for v in result] == [
        ("ENC-002", "aws_dynamodb_table.a"),
        ("RES-001", "aws_dynamodb_table.a"),
        ("RES-001", "aws_sqs_queue.z"),
    ]
    assert result[0].to_dict() == {
        "check_id": "ENC-002",
        "address": "aws_dynamodb_table.a",
        "message": result[0].message,
    }
    assert all("\n" not in v.message for v in result)


def test_not_a_plan_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        check_plan({"values": {}}, CTX)
    with pytest.raises(UsageError):
        check_plan({"format_version": "1.2", "resource_changes": [{"mode": "managed"}]}, CTX)


def test_empty_plan_without_resource_changes_passes() -> None:
    # terraform omits resource_changes when the configuration has no resources.
    plan = {"format_version": "1.2", "planned_values": {"root_module": {}}}
    assert check_plan(plan, CTX) == []


def test_planned_resources_without_resource_changes_fail_closed() -> None:
    plan = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [{"address": "aws_sqs_queue.q"}]}},
    }
    with pytest.raises(UsageError, match="no resource_changes"):
        check_plan(plan, CTX)


# --- RES-001 residency ----------------------------------------------------------------------


def test_res001_allowed_region_passes() -> None:
    tags = {**GOOD_TAGS, "DataClassification": "public"}
    plan = make_plan(Res("aws_sqs_queue", "q", provider_key="aws.eu", tags_all=tags), providers=EU)
    assert found(plan, "RES-001") == set()


def test_res001_region_not_allowed_for_class() -> None:
    tags = {**GOOD_TAGS, "DataClassification": "personal"}
    plan = make_plan(Res("aws_sqs_queue", "q", provider_key="aws.eu", tags_all=tags), providers=EU)
    [violation] = only(plan, "RES-001")
    assert violation.address == "aws_sqs_queue.q"
    assert "eu-west-1" in violation.message
    assert "'personal'" in violation.message
    assert "af-south-1" in violation.message


def test_res001_unclassified_uses_most_restrictive_list() -> None:
    # eu-west-1 is allowed for "public", but not for every class: unclassified fails there.
    untagged = {"Project": "ngapp", "Owner": "platform"}
    plan = make_plan(
        Res("aws_sqs_queue", "eu", provider_key="aws.eu", tags_all=untagged),
        Res("aws_route_table_association", "eu", provider_key="aws.eu", tags_all=UNTAGGABLE),
        Res("aws_sqs_queue", "home", tags_all=untagged),
        Res("aws_route_table_association", "home", tags_all=UNTAGGABLE),
        providers=EU,
    )
    assert found(plan, "RES-001") == {
        ("RES-001", "aws_sqs_queue.eu"),
        ("RES-001", "aws_route_table_association.eu"),
    }
    messages = {v.address: v.message for v in only(plan, "RES-001")}
    assert "most restrictive" in messages["aws_sqs_queue.eu"]
    assert "takes no tags" in messages["aws_route_table_association.eu"]


def test_res001_exempts_only_terraform_only_waiters() -> None:
    # a certificate validation creates nothing in AWS; a certificate itself still needs its class
    plan = make_plan(
        Res("aws_acm_certificate_validation", "cdn", provider_key="aws.eu", tags_all=UNTAGGABLE),
        Res("aws_acm_certificate", "cdn", provider_key="aws.eu", tags_all={"Project": "ngapp"}),
        providers=EU,
    )
    assert found(plan, "RES-001") == {("RES-001", "aws_acm_certificate.cdn")}


def test_res001_unknown_class_lists_known_classes() -> None:
    tags = {**GOOD_TAGS, "DataClassification": "secret"}
    plan = make_plan(Res("aws_sqs_queue", "q", tags_all=tags))
    [violation] = only(plan, "RES-001")
    assert "'secret'" in violation.message
    assert "internal, personal, public" in violation.message


def test_res001_region_from_root_variable() -> None:
    providers = {"aws": provider({"references": ["var.region"]})}
    allowed = make_plan(Res("aws_sqs_queue", "q"), providers=providers, variables={"region": "af-south-1"})
    denied = make_plan(Res("aws_sqs_queue", "q"), providers=providers, variables={"region": "us-east-1"})
    assert found(allowed) == set()
    assert found(denied) == {("RES-001", "aws_sqs_queue.q")}


def test_res001_child_module_on_alias() -> None:
    plan = make_plan(
        Res("aws_sqs_queue", "q", module='module.store["a"].module.inner[0]', provider_key="aws.eu"),
        Res("aws_sqs_queue", "q", module='module.store["b"]', provider_key="aws"),
        providers=EU,
    )
    assert found(plan) == {("RES-001", 'module.store["a"].module.inner[0].aws_sqs_queue.q')}


def test_res001_module_provider_with_constant_region() -> None:
    providers = {**EU, "module.m:aws": provider("us-east-1", module_address="module.m")}
    plan = make_plan(
        Res("aws_sqs_queue", "q", module="module.m", provider_key="module.m:aws"), providers=providers
    )
    assert found(plan) == {("RES-001", "module.m.aws_sqs_queue.q")}


@pytest.mark.parametrize(
    ("actions", "checked"),
    [
        (("create",), True),
        (("no-op",), True),
        (("update",), True),
        (("delete", "create"), True),
        (("create", "delete"), True),
        (("delete",), False),
    ],
)
def test_res001_only_resources_that_exist_after_apply(actions: tuple[str, ...], checked: bool) -> None:
    plan = make_plan(Res("aws_sqs_queue", "q", provider_key="aws.eu", actions=actions), providers=EU)
    assert bool(found(plan, "RES-001")) is checked


def test_res001_ignores_data_sources_and_local_only_providers() -> None:
    plan = make_plan(
        Res("aws_iam_policy_document", "d", mode="data", provider_key="aws.eu", tags_all=UNTAGGABLE),
        Res(
            "random_password",
            "p",
            provider_key="random",
            provider_name="registry.terraform.io/hashicorp/random",
            tags_all=UNTAGGABLE,
        ),
        providers={**EU, "random": {"name": "random", "full_name": "registry.terraform.io/hashicorp/random"}},
    )
    assert check_plan(plan, CTX) == []


# --- RES-002 region must be known (fail closed) ---------------------------------------------


@pytest.mark.parametrize(
    ("providers", "variables", "reason"),
    [
        ({"aws": provider({"references": ["var.region"]})}, {}, "var.region"),
        ({"aws": provider({"references": ["var.region"]})}, {"region": None}, "var.region"),
        ({"aws": provider(None)}, {}, "sets no region"),
        ({"aws": provider({"references": ["local.region"]})}, {}, "local.region"),
        (
            {"aws": provider({"references": ["var.a", "var.b"]})},
            {"a": "af-south-1", "b": "af-south-1"},
            "var.a, var.b",
        ),
        ({"aws": provider(42)}, {}, "region"),
        ({}, {}, "not in the plan"),
    ],
)
def test_res002_unresolvable_region(
    providers: dict[str, Any], variables: dict[str, Any], reason: str
) -> None:
    plan = make_plan(Res("aws_sqs_queue", "q"), providers=providers, variables=variables)
    violations = [v for v in check_plan(plan, CTX) if v.check_id.startswith("RES")]
    assert [(v.check_id, v.address) for v in violations] == [("RES-002", "aws_sqs_queue.q")]
    assert violations[0].message.startswith("cannot determine the region of aws_sqs_queue.q")
    assert reason in violations[0].message


def test_res002_variable_in_module_provider_is_not_resolved() -> None:
    # var.r of a module provider is the module's variable, not the root one: never guess.
    providers = {
        "aws": provider(),
        "module.m:aws": provider({"references": ["var.r"]}, module_address="module.m"),
    }
    plan = make_plan(
        Res("aws_sqs_queue", "q", module="module.m", provider_key="module.m:aws"),
        providers=providers,
        variables={"r": "af-south-1"},
    )
    assert found(plan, "RES-002") == {("RES-002", "module.m.aws_sqs_queue.q")}


def test_res002_inherited_provider_shell() -> None:
    # What terraform writes for a provider inherited through a module without required_providers.
    shell = {"name": "aws", "full_name": AWS, "module_address": "module.a.module.b"}
    plan = make_plan(
        Res("aws_sqs_queue", "q", module="module.a.module.b", provider_key="module.a.module.b:aws"),
        providers={"aws": provider(), "module.a.module.b:aws": shell},
    )
    [violation] = only(plan, "RES-002")
    assert "required_providers" in violation.message


def test_res002_resource_without_configuration_block() -> None:
    plan = make_plan(Res("aws_sqs_queue", "q"))
    plan["configuration"]["root_module"]["resources"] = []
    assert found(plan) == {("RES-002", "aws_sqs_queue.q")}


# --- TAG-001 required tags ------------------------------------------------------------------


def test_tag001_all_present_passes() -> None:
    assert found(make_plan(Res("aws_sqs_queue", "q")), "TAG-001") == set()


def test_tag001_missing_and_empty_tags() -> None:
    tags = {"Project": "ngapp", "Owner": "  ", "DataClassification": "internal"}
    plan = make_plan(Res("aws_sqs_queue", "q", tags_all=tags), Res("aws_sns_topic", "t", tags_all={}))
    violations = {v.address: v.message for v in only(plan, "TAG-001")}
    assert set(violations) == {"aws_sqs_queue.q", "aws_sns_topic.t"}
    assert "missing or empty: Owner " in violations["aws_sqs_queue.q"]
    assert "Project, Owner, DataClassification" in violations["aws_sns_topic.t"]


def test_tag001_untaggable_resource_is_skipped() -> None:
    plan = make_plan(Res("aws_route_table_association", "a", tags_all=UNTAGGABLE))
    assert found(plan, "TAG-001") == set()


def test_tag001_unknown_tags_all_without_default_tags_fails_closed() -> None:
    plan = make_plan(Res("aws_sqs_queue", "q", tags_all=UNKNOWN, tags=None))
    [violation] = only(plan, "TAG-001")
    assert "Project, Owner, DataClassification" in violation.message
    # no class known either: the most restrictive allow-list applies (af-south-1 passes)
    assert found(plan, "RES-001") == set()


def test_tag001_unknown_tags_all_merges_provider_default_tags() -> None:
    providers = {"aws": provider(default_tags={"constant_value": {"Project": "ngapp", "Owner": "platform"}})}
    good = make_plan(
        Res("aws_sqs_queue", "q", tags_all=UNKNOWN, tags={"DataClassification": "personal"}),
        providers=providers,
    )
    emptied = make_plan(Res("aws_sqs_queue", "q", tags_all=UNKNOWN, tags={"Owner": ""}), providers=providers)
    assert found(good) == set()
    [violation] = only(emptied, "TAG-001")
    assert "missing or empty: Owner, DataClassification" in violation.message


def test_tag001_unknown_tags_all_with_computed_default_tags_fails_closed() -> None:
    providers = {"aws": provider(default_tags={"references": ["local.tags"]})}
    plan = make_plan(Res("aws_sqs_queue", "q", tags_all=UNKNOWN, tags={"Owner": "me"}), providers=providers)
    [violation] = only(plan, "TAG-001")
    assert "known only after apply: Project, DataClassification" in violation.message


def test_tag001_tags_themselves_unknown() -> None:
    plan = make_plan(Res("aws_sqs_queue", "q", tags_all=UNKNOWN, after_unknown={"tags": True}))
    [violation] = only(plan, "TAG-001")
    assert "known only after apply" in violation.message


def test_tag001_partially_unknown_value() -> None:
    tags = {"Project": "ngapp", "Owner": None, "DataClassification": "internal"}
    plan = make_plan(Res("aws_sqs_queue", "q", tags_all=tags, after_unknown={"tags_all": {"Owner": True}}))
    [violation] = only(plan, "TAG-001")
    assert "known only after apply: Owner" in violation.message


# --- ENC-001 S3 encryption ------------------------------------------------------------------


def sse(name: str, refs: list[str], **kwargs: Any) -> Res:
    return Res(
        "aws_s3_bucket_server_side_encryption_configuration",
        name,
        tags_all=UNTAGGABLE,
        expressions={"bucket": {"references": refs}},
        **kwargs,
    )


def bucket(name: str, **kwargs: Any) -> Res:
    return Res("aws_s3_bucket", name, after_unknown={"server_side_encryption_configuration": True}, **kwargs)


def test_enc001_bucket_without_sse_fails() -> None:
    [violation] = only(make_plan(bucket("b")), "ENC-001")
    assert violation.address == "aws_s3_bucket.b"
    assert "aws_s3_bucket_server_side_encryption_configuration" in violation.message


def test_enc001_referenced_by_config() -> None:
    plan = make_plan(bucket("b"), sse("b", ["aws_s3_bucket.b.id", "aws_s3_bucket.b"]))
    assert found(plan) == set()


def test_enc001_matched_by_known_bucket_name() -> None:
    plan = make_plan(
        bucket("b", after={"bucket": "ngapp-logs"}),
        sse("other", ["var.bucket"], module="module.enc", after={"bucket": "ngapp-logs"}),
    )
    assert found(plan, "ENC-001") == set()
    wrong = make_plan(
        bucket("b", after={"bucket": "ngapp-logs"}),
        sse("other", ["var.bucket"], after={"bucket": "ngapp-other"}),
    )
    assert found(wrong, "ENC-001") == {("ENC-001", "aws_s3_bucket.b")}


def test_enc001_count_index_pairs_instances() -> None:
    plan = make_plan(
        bucket("b", index=0),
        bucket("b", index=1),
        sse("b", ["aws_s3_bucket.b", "count.index"], index=0),
    )
    assert found(plan, "ENC-001") == {("ENC-001", "aws_s3_bucket.b[1]")}


def test_enc001_for_each_over_buckets() -> None:
    plan = make_plan(
        bucket("b", index="x"),
        bucket("b", index="y"),
        sse("b", ["each.value.id", "each.value"], index="x", for_each=["aws_s3_bucket.b"]),
    )
    assert found(plan, "ENC-001") == {("ENC-001", 'aws_s3_bucket.b["y"]')}


def test_enc001_literal_index_covers_only_that_instance() -> None:
    refs = ['aws_s3_bucket.b["y"].id', 'aws_s3_bucket.b["y"]', "aws_s3_bucket.b"]
    plan = make_plan(bucket("b", index="x"), bucket("b", index="y"), sse("b", refs))
    assert found(plan, "ENC-001") == {("ENC-001", 'aws_s3_bucket.b["x"]')}


def test_enc001_other_module_instance_does_not_cover() -> None:
    plan = make_plan(
        bucket("b", module='module.s["a"]'),
        bucket("b", module='module.s["b"]'),
        sse("b", ["aws_s3_bucket.b.id", "aws_s3_bucket.b"], module='module.s["a"]'),
    )
    assert found(plan, "ENC-001") == {("ENC-001", 'module.s["b"].aws_s3_bucket.b')}


def test_enc001_sse_being_deleted_does_not_cover() -> None:
    plan = make_plan(bucket("b"), sse("b", ["aws_s3_bucket.b.id", "aws_s3_bucket.b"], actions=("delete",)))
    assert found(plan, "ENC-001") == {("ENC-001", "aws_s3_bucket.b")}


def test_enc001_ambiguous_reference_fails_closed() -> None:
    refs = ["var.primary", "aws_s3_bucket.a.id", "aws_s3_bucket.a", "aws_s3_bucket.b.id", "aws_s3_bucket.b"]
    plan = make_plan(bucket("a"), bucket("b"), sse("x", refs))
    assert found(plan, "ENC-001") == {("ENC-001", "aws_s3_bucket.a"), ("ENC-001", "aws_s3_bucket.b")}


def test_enc001_conditional_between_instances_fails_closed() -> None:
    refs = [
        "var.primary",
        "aws_s3_bucket.b[0].id",
        "aws_s3_bucket.b[0]",
        "aws_s3_bucket.b[1].id",
        "aws_s3_bucket.b[1]",
    ]
    plan = make_plan(bucket("b", index=0), bucket("b", index=1), sse("x", refs))
    assert found(plan, "ENC-001") == {("ENC-001", "aws_s3_bucket.b[0]"), ("ENC-001", "aws_s3_bucket.b[1]")}


def test_enc001_dynamic_index_from_other_input_is_not_guessed() -> None:
    # bucket = aws_s3_bucket.b[local.i].id: any instance could be meant.
    plan = make_plan(bucket("b", index=0), sse("b", ["aws_s3_bucket.b", "local.i"], index=0))
    assert found(plan, "ENC-001") == {("ENC-001", "aws_s3_bucket.b[0]")}


def test_enc001_legacy_inline_configuration() -> None:
    inline = [{"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]}]
    plan = make_plan(Res("aws_s3_bucket", "b", after={"server_side_encryption_configuration": inline}))
    assert found(plan, "ENC-001") == set()


# --- ENC-002 DynamoDB -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sse_value", "ok"),
    [
        ([{"enabled": True}], True),
        ([{"enabled": True, "kms_key_arn": "arn:aws:kms:af-south-1:1:key/x"}], True),
        ([{"enabled": False}], False),
        ([], False),
        (None, False),
    ],
)
def test_enc002_dynamodb(sse_value: Any, ok: bool) -> None:
    after = {} if sse_value is None else {"server_side_encryption": sse_value}
    plan = make_plan(Res("aws_dynamodb_table", "t", after=after))
    assert found(plan) == (set() if ok else {("ENC-002", "aws_dynamodb_table.t")})


def test_enc002_kms_key_known_after_apply() -> None:
    res = Res(
        "aws_dynamodb_table",
        "t",
        after={"server_side_encryption": [{"enabled": True}]},
        after_unknown={"server_side_encryption": [{"kms_key_arn": True}]},
    )
    assert found(make_plan(res)) == set()


# --- ENC-003 CloudWatch log groups ----------------------------------------------------------


def test_enc003_log_group() -> None:
    plan = make_plan(
        Res("aws_cloudwatch_log_group", "known", after={"kms_key_id": "arn:aws:kms:af-south-1:1:key/x"}),
        Res(
            "aws_cloudwatch_log_group",
            "later",
            after={"kms_key_id": None},
            after_unknown={"kms_key_id": True},
        ),
        Res("aws_cloudwatch_log_group", "none", after={"kms_key_id": None}),
        Res("aws_cloudwatch_log_group", "empty", after={"kms_key_id": ""}),
    )
    assert found(plan) == {
        ("ENC-003", "aws_cloudwatch_log_group.none"),
        ("ENC-003", "aws_cloudwatch_log_group.empty"),
    }
