"""RES-003..RES-007 and CDN-001 on minimal plan fragments; RES-001 with Local Zones."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from deployment_infra.policy import PolicyContext, check_plan
from deployment_infra.transfers import Transfer
from tests.unit.test_policy_checks import UNKNOWN, UNTAGGABLE, Res, make_plan, provider

TODAY = dt.date(2026, 11, 30)
PERSONAL = {"Project": "ngapp", "Owner": "platform", "DataClassification": "personal"}
INTERNAL = {**PERSONAL, "DataClassification": "internal"}


def entry(
    klass: str = "personal", where: str = "af-south-1", services: tuple[str, ...] = ("*",), **kw: Any
) -> Transfer:
    fields: dict[str, Any] = {
        "id": "TR-001",
        "data_class": klass,
        "destination": where,
        "services": frozenset(services),
        "legal_basis": "s.41(1)(a): contractual clauses",
        "approver": "dpo@ngapp.example",
        "expires": dt.date(2027, 6, 30),
        "purpose": "",
    }
    fields.update(kw)
    return Transfer(**fields)


CTX = PolicyContext(
    allowed_regions={
        "public": frozenset({"af-south-1", "us-east-1"}),
        "internal": frozenset({"af-south-1", "af-south-1-los-1a"}),
        "personal": frozenset({"af-south-1", "af-south-1-los-1a", "eu-west-1"}),
    },
    required_tags=("Project", "Owner", "DataClassification"),
    transfers=(entry(services=("rds", "s3", "backup")),),
    today=TODAY,
)

EU = {"aws": provider("af-south-1"), "aws.eu": provider("eu-west-1")}


def found(plan: dict[str, Any], ctx: PolicyContext = CTX) -> set[tuple[str, str]]:
    return {(v.check_id, v.address) for v in check_plan(plan, ctx)}


def bucket(name: str, tags: dict[str, str] = PERSONAL, **kw: Any) -> list[Res]:
    """A bucket with its encryption configuration (so ENC-001 stays quiet)."""
    return [
        Res("aws_s3_bucket", name, tags_all=dict(tags), after={"bucket": name}, **kw),
        Res(
            "aws_s3_bucket_server_side_encryption_configuration",
            name,
            tags_all=UNTAGGABLE,
            after={"bucket": name},
            **kw,
        ),
    ]


def database(name: str = "db", tags: dict[str, str] = PERSONAL, **after: Any) -> Res:
    values = {
        "backup_retention_period": 30,
        "storage_encrypted": True,
        "publicly_accessible": False,
        "deletion_protection": True,
        "skip_final_snapshot": False,
        "final_snapshot_identifier": "final",
        **after,
    }
    return Res("aws_db_instance", name, tags_all=dict(tags), after=values)


# --- stores -------------------------------------------------------------------------------------


def test_registered_personal_store_passes_and_unregistered_service_fails() -> None:
    table = Res(
        "aws_dynamodb_table",
        "t",
        tags_all=dict(PERSONAL),
        after={"server_side_encryption": [{"enabled": True}]},
    )
    plan = make_plan(*bucket("data"), database(), table)
    assert found(plan) == {("RES-004", "aws_dynamodb_table.t")}
    violation = next(v for v in check_plan(plan, CTX) if v.check_id == "RES-004")
    assert violation.register_entry == "data_class=personal destination=af-south-1 service=dynamodb"
    assert violation.to_dict()["register_entry"] == violation.register_entry


def test_internal_data_needs_no_register_entry() -> None:
    assert found(make_plan(*bucket("logs", INTERNAL))) == set()


def test_local_zone_is_domestic_and_listed_only_where_allowed() -> None:
    lagos = {"availability_zone": "af-south-1-los-1a"}
    # personal data in Lagos stays in Nigeria: allowed, and no transfer to register
    assert found(make_plan(database(**lagos)), dataclasses.replace(CTX, transfers=())) == set()
    # public data may not sit in the Local Zone (not in its list): RES-001 names the zone
    public = {**PERSONAL, "DataClassification": "public"}
    violations = check_plan(make_plan(database(tags=public, **lagos)), CTX)
    assert [(v.check_id, "af-south-1-los-1a" in v.message) for v in violations] == [("RES-001", True)]


def test_store_without_a_class_is_res_003() -> None:
    no_class = {"Project": "ngapp", "Owner": "platform"}
    bogus = {**PERSONAL, "DataClassification": "top-secret"}
    plan = make_plan(
        Res("aws_secretsmanager_secret", "a", tags_all=no_class),
        Res("aws_secretsmanager_secret", "b", tags_all=bogus),
        Res("aws_secretsmanager_secret", "c", tags_all=UNKNOWN),
    )
    res003 = {a for c, a in found(plan) if c == "RES-003"}
    assert res003 == {
        "aws_secretsmanager_secret.a",
        "aws_secretsmanager_secret.b",
        "aws_secretsmanager_secret.c",
    }


def test_expired_entry_is_res_005_naming_it() -> None:
    ctx = dataclasses.replace(CTX, today=dt.date(2027, 7, 1))
    violations = check_plan(make_plan(database()), ctx)
    assert [(v.check_id, v.register_entry) for v in violations] == [("RES-005", "TR-001")]
    assert "expired on 2027-06-30" in violations[0].message
    # valid through its last day
    assert check_plan(make_plan(database()), dataclasses.replace(CTX, today=dt.date(2027, 6, 30))) == []


# --- copy paths ---------------------------------------------------------------------------------


def test_backup_copy_to_another_region_is_res_006_unless_allowed_and_registered() -> None:
    vault = Res("aws_backup_vault", "v", tags_all=dict(PERSONAL), after={"name": "main"})
    arn = "arn:aws:backup:{}:123456789012:backup-vault:copy"

    def plan_to(region: str) -> dict[str, Any]:
        rule = {"target_vault_name": "main", "copy_action": [{"destination_vault_arn": arn.format(region)}]}
        return make_plan(vault, Res("aws_backup_plan", "p", tags_all=dict(INTERNAL), after={"rule": [rule]}))

    assert found(plan_to("af-south-1")) == set()
    # the plan is tagged internal but copies the vault's personal data: the vault's class counts
    internal_only = dataclasses.replace(
        CTX, allowed_regions={**CTX.allowed_regions, "personal": frozenset({"af-south-1"})}
    )
    assert found(plan_to("eu-west-1"), internal_only) == {("RES-006", "aws_backup_plan.p")}
    # allowed for personal data but not registered there: RES-007 names the entry it needs
    violations = check_plan(plan_to("eu-west-1"), CTX)
    assert [(v.check_id, v.register_entry) for v in violations] == [
        ("RES-007", "data_class=personal destination=eu-west-1 service=backup")
    ]
    registered = dataclasses.replace(CTX, transfers=(*CTX.transfers, entry(where="eu-west-1", id="TR-002")))
    assert found(plan_to("eu-west-1"), registered) == set()


def test_s3_replication_follows_the_destination_bucket_region() -> None:
    source = bucket("src")
    replica = bucket("dst", provider_key="aws.eu")
    rule = {"status": "Enabled", "destination": [{"bucket": "arn:aws:s3:::dst"}]}
    replication = Res(
        "aws_s3_bucket_replication_configuration",
        "r",
        tags_all=UNTAGGABLE,
        after={"bucket": "src", "rule": [rule]},
    )
    plan = make_plan(*source, *replica, replication, providers=EU)
    got = found(plan)
    assert ("RES-007", "aws_s3_bucket_replication_configuration.r") in got
    assert ("RES-004", "aws_s3_bucket.dst") in got  # the replica is a personal store in eu-west-1
    # a destination bucket not in the plan: cannot tell its region, fail closed
    rule["destination"] = [{"bucket": "arn:aws:s3:::elsewhere"}]
    lone = make_plan(*source, replication)
    assert found(lone) == {("RES-006", "aws_s3_bucket_replication_configuration.r")}


def test_firehose_to_an_http_endpoint_is_refused() -> None:
    stream = Res(
        "aws_kinesis_firehose_delivery_stream",
        "f",
        tags_all=dict(INTERNAL),
        after={
            "destination": "http_endpoint",
            "http_endpoint_configuration": [{"url": "https://x.example/in"}],
        },
    )
    violations = check_plan(make_plan(stream), CTX)
    assert [v.check_id for v in violations] == ["RES-006"]
    assert "x.example" in violations[0].message


def test_cross_region_replica_uses_the_source_class() -> None:
    source_arn = "arn:aws:rds:af-south-1:123456789012:db:main"
    replica = Res(
        "aws_db_instance",
        "replica",
        tags_all=dict(INTERNAL),  # mislabelled: the data is the source's
        provider_key="aws.eu",
        after={"replicate_source_db": source_arn, "storage_encrypted": True, "publicly_accessible": False},
    )
    got = found(make_plan(replica, providers=EU))
    assert ("RES-001", "aws_db_instance.replica") in got  # internal may not be in eu-west-1
    assert ("RES-006", "aws_db_instance.replica") in got  # nor may its (unknown-class) source's data


def test_dynamodb_and_secret_replicas() -> None:
    table = Res(
        "aws_dynamodb_table",
        "t",
        tags_all=dict(INTERNAL),
        after={"server_side_encryption": [{"enabled": True}], "replica": [{"region_name": "eu-west-1"}]},
    )
    secret = Res(
        "aws_secretsmanager_secret",
        "s",
        tags_all=dict(INTERNAL),
        after={"replica": [{"region": "us-east-1"}]},
    )
    residency = {(c, a) for c, a in found(make_plan(table, secret)) if c.startswith("RES-")}
    assert residency == {
        ("RES-006", "aws_dynamodb_table.t"),
        ("RES-006", "aws_secretsmanager_secret.s"),
    }


# --- CDN-001 ------------------------------------------------------------------------------------

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
PUBLIC = {**PERSONAL, "DataClassification": "public"}


def distribution(api_behaviour: dict[str, Any] | None, default_origin: str = "static") -> Res:
    ordered = []
    if api_behaviour is not None:
        ordered = [{"path_pattern": "/api/*", "target_origin_id": "api", **api_behaviour}]
    return Res(
        "aws_cloudfront_distribution",
        "cdn",
        tags_all=dict(PUBLIC),
        after={
            "origin": [
                {"origin_id": "static", "s3_origin_config": [], "custom_origin_config": []},
                {"origin_id": "api", "custom_origin_config": [{"origin_protocol_policy": "https-only"}]},
            ],
            "default_cache_behavior": [
                {"target_origin_id": default_origin, "cache_policy_id": "static-policy"}
            ],
            "ordered_cache_behavior": ordered,
        },
    )


def test_api_behaviour_with_caching_disabled_passes() -> None:
    assert found(make_plan(distribution({"cache_policy_id": CACHING_DISABLED}))) == set()


def test_api_behaviour_with_a_caching_policy_fails() -> None:
    policy = Res(
        "aws_cloudfront_cache_policy",
        "api",
        tags_all=UNTAGGABLE,
        after={"min_ttl": 0, "default_ttl": 60, "max_ttl": 300},
        expressions={},
    )
    dist = distribution({})
    dist.after_unknown = {"ordered_cache_behavior": [{"cache_policy_id": True}]}
    dist.expressions = {
        "ordered_cache_behavior": [
            {
                "cache_policy_id": {
                    "references": ["aws_cloudfront_cache_policy.api.id", "aws_cloudfront_cache_policy.api"]
                }
            }
        ]
    }
    violations = check_plan(make_plan(policy, dist), CTX)
    assert [v.check_id for v in violations] == ["CDN-001"]
    assert "default_ttl=60" in violations[0].message
    # the same policy with every TTL 0 passes
    policy.after = {"min_ttl": 0, "default_ttl": 0, "max_ttl": 0}
    assert found(make_plan(policy, dist)) == set()


def test_api_behaviour_hidden_in_a_dynamic_block_fails_closed() -> None:
    dist = distribution({})
    dist.after_unknown = {"ordered_cache_behavior": [{"cache_policy_id": True}]}
    violations = check_plan(make_plan(dist), CTX)
    assert [v.check_id for v in violations] == ["CDN-001"]
    assert "known only after apply" in violations[0].message


def test_legacy_ttls_and_the_default_behaviour() -> None:
    legacy = distribution({"min_ttl": 0, "default_ttl": 86400, "max_ttl": 31536000})
    assert found(make_plan(legacy)) == {("CDN-001", "aws_cloudfront_distribution.cdn")}
    # no API behaviour, default to S3: a static site, nothing to judge
    assert found(make_plan(distribution(None))) == set()
    # no API behaviour and the default goes to the custom (API) origin with a caching policy: refused
    assert found(make_plan(distribution(None, default_origin="api"))) == {
        ("CDN-001", "aws_cloudfront_distribution.cdn")
    }


def test_copy_of_unclassified_data_out_of_nigeria_is_res_007() -> None:
    """A Logs subscription whose log group is not in the plan: the data's class is unknown, so even
    a destination every class allows needs the source classified (it may be personal data)."""
    subscription = Res(
        "aws_cloudwatch_log_subscription_filter",
        "ship",
        tags_all=UNTAGGABLE,
        after={
            "log_group_name": "/elsewhere/app",
            "destination_arn": "arn:aws:firehose:af-south-1:123456789012:deliverystream/s",
        },
    )
    violations = check_plan(make_plan(subscription), CTX)
    assert [v.check_id for v in violations] == ["RES-007"]
    assert "classify the source" in violations[0].message
    # a destination inside Nigeria (here: af-south-1 declared domestic) is no transfer
    lagos = dataclasses.replace(CTX, domestic_locations=frozenset({"af-south-1"}))
    assert check_plan(make_plan(subscription), lagos) == []
