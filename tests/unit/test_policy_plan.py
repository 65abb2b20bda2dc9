"""Plan parsing helpers: module paths, references, provider regions, tags, the view itself."""

from __future__ import annotations

from typing import Any

import pytest

from deployment_infra.errors import UsageError
from deployment_infra.policy import PolicyContext, TagSet, build_view
from deployment_infra.policy.plan import module_path, resolve_region, resource_tags, split_reference
from deployment_infra.settings import Settings

AWS = "registry.terraform.io/hashicorp/aws"


@pytest.mark.parametrize(
    ("address", "path"),
    [
        ("", ()),
        ("module.vpc", ("vpc",)),
        ('module.a["x.y]"].module.b[0]', ("a", "b")),
        ('module.a["q\\"uote"]', ("a",)),
        ("module.my-mod[12].module.c", ("my-mod", "c")),
        ("aws_s3_bucket.b", None),
        ("module.a.", None),
        ("module.a[x]", None),
    ],
)
def test_module_path(address: str, path: tuple[str, ...] | None) -> None:
    assert module_path(address) == path


@pytest.mark.parametrize(
    ("ref", "parsed"),
    [
        ("aws_s3_bucket.b", ("aws_s3_bucket.b", False, None)),
        ("aws_s3_bucket.b.id", ("aws_s3_bucket.b", False, None)),
        ("aws_s3_bucket.b[3].id", ("aws_s3_bucket.b", True, 3)),
        ('aws_s3_bucket.b["k.1"]', ("aws_s3_bucket.b", True, "k.1")),
        ('aws_s3_bucket.b["a\\"b"].arn', ("aws_s3_bucket.b", True, 'a"b')),
        ("aws_s3_bucket.b2x", ("aws_s3_bucket.b2x", False, None)),
        ("count.index", ("count.index", False, None)),
        ("aws_s3_bucket", None),
        ('aws_s3_bucket.b["bad\\q"]', None),
    ],
)
def test_split_reference(ref: str, parsed: tuple[str, bool, Any] | None) -> None:
    assert split_reference(ref) == parsed


def provider(region_expr: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    expressions = {} if region_expr is None else {"region": region_expr}
    return {"name": "aws", "full_name": AWS, "expressions": expressions, **extra}


def test_resolve_region_constant_and_variable() -> None:
    config = {
        "aws": provider({"references": ["var.region"]}),
        "aws.eu": provider({"constant_value": "eu-west-1"}, alias="eu"),
        "module.m:aws": provider({"constant_value": "us-east-1"}, module_address="module.m"),
    }
    variables = {"region": {"value": "af-south-1"}}
    assert resolve_region("aws", config, variables) == ("af-south-1", None)
    assert resolve_region("aws.eu", config, variables) == ("eu-west-1", None)
    assert resolve_region("module.m:aws", config, variables) == ("us-east-1", None)


@pytest.mark.parametrize(
    "entry",
    [
        provider(None),
        provider({"references": ["var.missing"]}),
        provider({"references": ["var.regions"]}),  # value is a map
        provider({"references": ['var.regions["main"]', "var.regions"]}),
        provider({"references": []}),
        provider({"constant_value": None}),
        provider({"references": ["var.region"]}, module_address="module.m"),
        {"name": "aws", "full_name": AWS, "module_address": "module.a"},
    ],
)
def test_resolve_region_fails_closed(entry: dict[str, Any]) -> None:
    variables = {"region": {"value": "af-south-1"}, "regions": {"value": {"main": "af-south-1"}}}
    region, why = resolve_region("k", {"k": entry}, variables)
    assert region is None
    assert why


def test_resolve_region_unknown_key() -> None:
    assert resolve_region("aws.nope", {}, {})[0] is None


def test_resource_tags_known() -> None:
    tags = resource_tags({"tags_all": {"A": "1"}}, {"tags_all": {}}, None)
    assert tags == TagSet(values={"A": "1"})
    assert resource_tags({"bucket": "b"}, {}, None) is None


def test_resource_tags_unknown_falls_back_to_default_tags() -> None:
    entry = provider(None, expressions={"default_tags": [{"tags": {"constant_value": {"A": "1", "B": "2"}}}]})
    tags = resource_tags({"tags": {"B": "own"}}, {"tags_all": True}, entry)
    assert tags is not None
    assert tags.complete
    assert (tags.value("A"), tags.value("B")) == ("1", "own")


def test_resource_tags_unknown_falls_back_to_default_tags_from_a_root_variable() -> None:
    entry = provider(None, expressions={"default_tags": [{"tags": {"references": ["var.default_tags"]}}]})
    variables = {"default_tags": {"value": {"A": "1", "B": "2"}}}
    # own tags with a value known only after apply: the defaults still tell the other keys
    tags = resource_tags({"tags": {"C": None}}, {"tags_all": True, "tags": {"C": True}}, entry, variables)
    assert tags is not None and tags.complete
    assert (tags.value("A"), tags.value("B"), tags.value("C")) == ("1", "2", None)
    assert tags.unknown == frozenset({"C"})
    # a module's provider, a computed reference, or a variable missing from the plan: unknown
    for other, names in (
        (dict(entry, module_address="module.m"), variables),
        (provider(None, expressions={"default_tags": [{"tags": {"references": ["local.t"]}}]}), variables),
        (entry, {}),
    ):
        fallback = resource_tags({"tags": {}}, {"tags_all": True}, other, names)
        assert fallback is not None and not fallback.complete


def test_resource_tags_unknown_without_provider_is_incomplete() -> None:
    tags = resource_tags({"tags": {"B": "own"}}, {"tags_all": True}, None)
    assert tags is not None
    assert not tags.complete
    assert tags.value("B") == "own"


def test_resource_tags_unknown_value() -> None:
    tags = resource_tags({"tags_all": {"A": None, "B": "x"}}, {"tags_all": {"A": True}}, None)
    assert tags is not None
    assert tags.unknown == frozenset({"A"})
    assert tags.value("A") is None


def test_build_view_indexes_live_managed_resources() -> None:
    def change(address: str, actions: list[str], mode: str = "managed", **extra: Any) -> dict[str, Any]:
        rtype, name = address.split(".")[-2:]
        return {
            "address": address,
            "mode": mode,
            "type": rtype,
            "name": name,
            "provider_name": AWS,
            "change": {"actions": actions, "after": {}, "after_unknown": {}},
            **extra,
        }

    plan = {
        "format_version": "1.2",
        "resource_changes": [
            change("aws_sqs_queue.a", ["create"]),
            change("aws_sqs_queue.gone", ["delete"]),
            change("aws_sqs_queue.replaced", ["delete", "create"]),
            change("data.aws_region.r", ["read"], mode="data"),
            change("module.m.aws_sns_topic.t", ["no-op"], module_address="module.m"),
        ],
        "configuration": {
            "provider_config": {"aws": provider({"constant_value": "af-south-1"})},
            "root_module": {
                "resources": [
                    {"address": "aws_sqs_queue.a", "provider_config_key": "aws"},
                    {"address": "aws_sqs_queue.replaced", "provider_config_key": "aws"},
                ],
                "module_calls": {
                    "m": {
                        "module": {
                            "resources": [{"address": "aws_sns_topic.t", "provider_config_key": "aws"}]
                        }
                    }
                },
            },
        },
    }
    view = build_view(plan)
    assert [r.address for r in view.resources] == [
        "aws_sqs_queue.a",
        "aws_sqs_queue.replaced",
        "module.m.aws_sns_topic.t",
    ]
    topic = view.by_address["module.m.aws_sns_topic.t"]
    assert (topic.module_address, topic.config_address, topic.region) == (
        "module.m",
        "aws_sns_topic.t",
        "af-south-1",
    )
    assert [r.address for r in view.of_type("aws_sqs_queue")] == ["aws_sqs_queue.a", "aws_sqs_queue.replaced"]
    assert view.of_type("aws_s3_bucket") == ()


@pytest.mark.parametrize(
    "entry",
    [
        "not an object",
        {"mode": "managed", "type": "aws_sqs_queue", "name": "q"},
        {"mode": "managed", "address": "aws_sqs_queue.q", "type": "aws_sqs_queue", "name": "q"},
        {
            "mode": "managed",
            "address": "aws_sqs_queue.q",
            "type": "aws_sqs_queue",
            "name": "q",
            "module_address": 3,
            "change": {"actions": ["create"]},
        },
    ],
)
def test_build_view_rejects_malformed_entries(entry: Any) -> None:
    with pytest.raises(UsageError, match=r"resource_changes\[0\]"):
        build_view({"format_version": "1.2", "resource_changes": [entry]})


def test_context_from_settings(tmp_path: Any) -> None:
    settings = Settings(
        root=tmp_path,
        project="ngapp",
        default_region="af-south-1",
        owner="platform-team",
        domain="ngapp.example",
        required_tags=("Project", "Owner"),
        default_data_class="internal",
        allowed_regions={
            "internal": frozenset({"af-south-1"}),
            "public": frozenset({"af-south-1", "eu-west-1"}),
        },
        emulator_port=4566,
        environments={},
    )
    ctx = PolicyContext.from_settings(settings)
    assert ctx.required_tags == ("Project", "Owner")
    assert dict(ctx.allowed_regions) == dict(settings.allowed_regions)
    assert ctx.known_classes == ("internal", "public")
    assert ctx.most_restrictive_regions == frozenset({"af-south-1"})
    assert PolicyContext(allowed_regions={}, required_tags=()).most_restrictive_regions == frozenset()
