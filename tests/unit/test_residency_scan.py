"""The residency scan's verdict, pure: locations, data classes, environments, regions, ARNs."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from hypothesis import given, settings
from hypothesis import strategies as st

from deployment_infra.errors import UsageError
from deployment_infra.ops.inventory import Item, arn_key, arn_region, bucket_region, normalise_arn
from deployment_infra.ops.residency_scan import (
    Gap,
    Judgement,
    Rules,
    ScanReport,
    judge,
    location,
    parse_regions,
    select_regions,
    service_absent,
)

LOS = "af-south-1-los-1a"  # the Lagos Local Zone
RULES = Rules(
    {
        "public": frozenset({"af-south-1", "us-east-1"}),
        "internal": frozenset({"af-south-1", LOS}),
        "personal": frozenset({"af-south-1", LOS}),
    }
)


def item(region: str, tags: dict[str, str] | None, zone: str | None = None, error: str | None = None) -> Item:
    return Item(region, "s3", f"arn:aws:s3:::{region}-thing", tags, zone, error)


# -- location --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "zone", "expected"),
    [
        ("af-south-1", None, "af-south-1"),
        ("af-south-1", "af-south-1a", "af-south-1"),  # an ordinary AZ counts as its region
        ("af-south-1", LOS, LOS),  # a Local Zone is a place of its own
        ("us-east-1", "us-east-1-wl1-bos-wlz-1", "us-east-1-wl1-bos-wlz-1"),  # Wavelength too
        ("eu-west-1", "Multiple", "eu-west-1"),  # ElastiCache's "Multiple" is not a zone
    ],
)
def test_location(region: str, zone: str | None, expected: str) -> None:
    assert location(region, zone) == expected


def test_a_local_zone_is_allowed_only_where_listed() -> None:
    personal = {"DataClassification": "personal"}
    assert judge(item("af-south-1", personal, LOS), RULES).passed
    public_in_lagos = judge(item("af-south-1", {"DataClassification": "public"}, LOS), RULES)
    assert not public_in_lagos.passed  # af-south-1 is listed for public, its Lagos zone is not
    assert public_in_lagos.why.startswith(f"in zone {LOS}, not an ordinary AZ of af-south-1;")
    assert judge(item("af-south-1", {"DataClassification": "public"}, "af-south-1b"), RULES).passed
    only_lagos = Rules({"personal": frozenset({LOS})})
    assert not judge(
        item("af-south-1", personal), only_lagos
    ).passed  # a regional resource is not in the zone


# -- data class ------------------------------------------------------------------------------------


def test_known_class_uses_its_list() -> None:
    verdict = judge(item("us-east-1", {"DataClassification": "personal"}), RULES)
    assert not verdict.passed and verdict.data_class == "personal"
    assert verdict.why == "personal data is allowed only in af-south-1, af-south-1-los-1a"
    assert judge(item("us-east-1", {"DataClassification": "public"}), RULES).passed


@pytest.mark.parametrize(
    ("tags", "error", "why"),
    [
        ({}, None, "no DataClassification tag, so the strictest list applies: af-south-1"),
        ({"DataClassification": ""}, None, "no DataClassification tag"),
        (
            {"DataClassification": "Personal"},
            None,
            "'Personal' is not a data class (known: internal, personal",
        ),
        (None, "AccessDeniedException: no", "its tags could not be read (AccessDeniedException: no)"),
    ],
)
def test_unclassified_gets_the_strictest_list_and_says_why(
    tags: dict[str, str] | None, error: str | None, why: str
) -> None:
    assert RULES.strictest == {"af-south-1"}
    verdict = judge(item("us-east-1", tags, error=error), RULES)
    assert not verdict.passed and verdict.allowed == {"af-south-1"} and why in verdict.why
    assert judge(item("af-south-1", tags, error=error), RULES).passed


def test_no_classes_configured_allows_nothing() -> None:
    assert Rules({}).strictest == frozenset()
    assert not judge(item("af-south-1", {}), Rules({})).passed


# -- environment scope -------------------------------------------------------------------------------


def test_env_scope() -> None:
    dev = Rules(RULES.allowed, environment="dev")
    other = judge(item("us-east-1", {"DataClassification": "personal", "Environment": "prod"}), dev)
    assert not other.in_scope and other.environment == "prod"
    mine = judge(item("us-east-1", {"DataClassification": "personal", "Environment": "dev"}), dev)
    assert mine.in_scope and not mine.passed and "judged in every scan" not in mine.why
    unattributed = judge(item("us-east-1", {"DataClassification": "personal"}), dev)
    assert unattributed.in_scope and not unattributed.passed
    assert unattributed.why.endswith("; no Environment tag, so it is judged in every scan")
    unreadable = judge(item("us-east-1", None, error="Throttling"), dev)
    assert unreadable.in_scope and not unreadable.passed  # fail closed: its environment is unknown


# -- properties --------------------------------------------------------------------------------------

REGIONS = ["af-south-1", "eu-west-1", "us-east-1"]
ZONES = [None, "a", "b", "-los-1a", "-wl1-bos-wlz-1"]
PLACES = [*REGIONS, LOS, "us-east-1-bos-1a"]
CLASSES = ["public", "internal", "personal"]


@st.composite
def rules(draw: st.DrawFn) -> Rules:
    classes = draw(st.lists(st.sampled_from(CLASSES), unique=True, max_size=3))
    allowed = {c: frozenset(draw(st.sets(st.sampled_from(PLACES), min_size=1))) for c in classes}
    return Rules(allowed, draw(st.sampled_from([None, "dev", "prod"])))


@st.composite
def items(draw: st.DrawFn) -> Item:
    region = draw(st.sampled_from(REGIONS))
    suffix = draw(st.sampled_from(ZONES))
    zone = None if suffix is None else f"{region}{suffix}"
    if draw(st.booleans()) and draw(st.booleans()):
        return item(region, None, zone, error="AccessDenied")
    tags: dict[str, str] = {}
    data_class = draw(st.sampled_from([None, *CLASSES, "secret"]))
    if data_class is not None:
        tags["DataClassification"] = data_class
    env = draw(st.sampled_from([None, "dev", "prod", "staging"]))
    if env is not None:
        tags["Environment"] = env
    return item(region, tags, zone)


@settings(max_examples=100)
@given(rules(), items())
def test_verdict_matches_the_rules(r: Rules, it: Item) -> None:
    verdict = judge(it, r)
    tags = it.tags
    env = None if tags is None else tags.get("Environment")
    assert verdict.in_scope == (r.environment is None or env is None or env == r.environment)
    if not verdict.in_scope:
        return
    data_class = None if tags is None else tags.get("DataClassification")
    expected_list = r.allowed.get(data_class or "", r.strictest)
    where = it.zone if it.zone and it.zone.startswith(f"{it.region}-") else it.region
    assert verdict.location == where
    assert verdict.allowed == expected_list
    assert verdict.passed == (where in expected_list)
    assert (verdict.why == "") == verdict.passed


@settings(max_examples=100)
@given(rules(), items(), st.sampled_from(CLASSES))
def test_what_the_strictest_list_admits_every_known_class_admits(r: Rules, it: Item, data_class: str) -> None:
    unscoped = Rules(r.allowed)
    if it.tags is None or "DataClassification" in it.tags or data_class not in r.allowed:
        return
    if judge(it, unscoped).passed:
        classified = Item(
            it.region, it.service, it.arn, {**it.tags, "DataClassification": data_class}, it.zone
        )
        assert judge(classified, unscoped).passed


@settings(max_examples=100)
@given(rules(), st.lists(items(), max_size=8))
def test_an_environment_scope_only_ever_removes_findings(r: Rules, found: list[Item]) -> None:
    everything = Rules(r.allowed)
    all_findings = {i.arn + str(i.tags) for i in found if not judge(i, everything).passed}
    scoped = {i.arn + str(i.tags) for i in found if judge(i, r).in_scope and not judge(i, r).passed}
    assert scoped <= all_findings


# -- regions, ARNs, reports ------------------------------------------------------------------------


def test_parse_regions() -> None:
    assert parse_regions(None) is None
    assert parse_regions(" af-south-1, eu-west-1,af-south-1") == ["af-south-1", "eu-west-1"]
    assert parse_regions("us-gov-west-1") == ["us-gov-west-1"]
    for bad in ("", "af-south-1,", "Af-South-1", "af-south", "af-south-1-los-1a", "eu-west-1;rm"):
        with pytest.raises(UsageError, match=r"--regions: .* is not an AWS region name"):
            parse_regions(bad)


def test_select_regions() -> None:
    enabled = ["eu-west-1", "af-south-1"]
    assert select_regions(enabled, None) == ["af-south-1", "eu-west-1"]
    assert select_regions(enabled, ["eu-west-1"]) == ["eu-west-1"]
    with pytest.raises(
        UsageError, match="ap-east-1 not enabled in this account; enabled: af-south-1, eu-west-1"
    ):
        select_regions(enabled, ["ap-east-1"])


def test_service_absent_only_for_an_unreachable_service_botocore_does_not_offer_there() -> None:
    unreachable = EndpointConnectionError(endpoint_url="https://efs.xx-nowhere-1.amazonaws.com")
    assert service_absent(unreachable, "efs", "xx-nowhere-1")
    assert not service_absent(unreachable, "efs", "eu-west-1")  # offered there: a gap, not an absence
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeFileSystems")
    assert not service_absent(denied, "efs", "xx-nowhere-1")


@pytest.mark.parametrize(
    ("constraint", "region"),
    [(None, "us-east-1"), ("", "us-east-1"), ("EU", "eu-west-1"), ("af-south-1", "af-south-1")],
)
def test_bucket_region(constraint: str | None, region: str) -> None:
    assert bucket_region(constraint) == region


def test_arns() -> None:
    assert normalise_arn("arn:aws:logs:af-south-1:1:log-group:x:*") == "arn:aws:logs:af-south-1:1:log-group:x"
    assert arn_key("arn:aws:ec2:eu-west-1::snapshot/snap-1") == arn_key(
        "arn:aws:ec2:eu-west-1:123:snapshot/snap-1"
    )
    assert arn_region("arn:aws:s3:::bucket") == "" and arn_region("arn:aws:sqs:eu-west-1:1:q") == "eu-west-1"
    assert arn_key("arn:aws:logs:r:1:log-group:x:*") == "arn:aws:logs:r::log-group:x"


def test_report_document() -> None:
    finding = judge(item("eu-west-1", {"DataClassification": "personal", "Environment": "dev"}), RULES)
    report = ScanReport(
        "local", None, ["af-south-1", "eu-west-1"], [finding], [Gap("us-east-1", "efs", "Throttling")]
    )
    doc = report.to_dict()
    assert doc["passed"] is False and doc["regions_scanned"] == ["af-south-1", "eu-west-1"]
    assert doc["not_scanned"] == [{"region": "us-east-1", "service": "efs", "reason": "Throttling"}]
    assert str(report.not_scanned[0]) == "not scanned: us-east-1 efs: Throttling"
    (f,) = doc["findings"]
    assert (
        f["region"] == f["location"] == "eu-west-1" and f["class"] == "personal" and f["environment"] == "dev"
    )
    assert f["resource"] == "arn:aws:s3:::eu-west-1-thing" and f["allowed"] == ["af-south-1", LOS]
    assert ScanReport("local", None, []).passed  # nothing found, nothing missed
    assert not ScanReport("local", None, [], not_scanned=[Gap("x", "y", "z")]).passed
    assert isinstance(finding, Judgement)
