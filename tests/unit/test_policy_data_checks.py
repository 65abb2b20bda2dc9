"""The data-tier checks (DB-*, CACHE-*, SEC-*) on minimal plan fragments."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from deployment_infra.policy import PolicyContext, check_plan
from tests.unit.test_policy_checks import CTX, Res, make_plan

PROJECT_CTX = replace(
    CTX, project="ngapp", environments=frozenset({"dev", "staging", "prod"}), environment="dev"
)
DEV = replace(PROJECT_CTX, protected=False, highly_available=False)
PROD = replace(PROJECT_CTX, environment="prod", protected=True, highly_available=True)
ACCOUNT = "123456789012"


def ids(plan: dict[str, Any], ctx: PolicyContext, prefix: str) -> list[tuple[str, str]]:
    return [(v.check_id, v.address) for v in check_plan(plan, ctx) if v.check_id.startswith(prefix)]


def db(name: str = "db", **after: Any) -> Res:
    base = {
        "backup_retention_period": 30,
        "storage_encrypted": True,
        "publicly_accessible": False,
        "deletion_protection": True,
        "skip_final_snapshot": False,
        "replicate_source_db": None,
    }
    return Res("aws_db_instance", name, after={**base, **after})


def test_a_hardened_database_passes_in_prod() -> None:
    assert ids(make_plan(db()), PROD, "DB-") == []


def test_backups_below_30_days_or_off_fail() -> None:
    assert ids(make_plan(db(backup_retention_period=7)), DEV, "DB-") == [("DB-001", "aws_db_instance.db")]
    (message,) = [v.message for v in check_plan(make_plan(db(backup_retention_period=0)), DEV)]
    assert "automated backups are off" in message


def test_unknown_retention_fails_closed() -> None:
    res = db()
    del res.after["backup_retention_period"]
    res.after_unknown["backup_retention_period"] = True
    assert ids(make_plan(res), DEV, "DB-001") == [("DB-001", "aws_db_instance.db")]


def test_replicas_are_exempt_from_backup_rules_but_not_from_exposure() -> None:
    replica = db(
        "replica", backup_retention_period=0, replicate_source_db="primary", publicly_accessible=True
    )
    assert ids(make_plan(replica), DEV, "DB-") == [("DB-003", "aws_db_instance.replica")]


def test_unencrypted_and_public_databases_fail() -> None:
    found = ids(make_plan(db(storage_encrypted=False, publicly_accessible=True)), DEV, "DB-")
    assert found == [("DB-002", "aws_db_instance.db"), ("DB-003", "aws_db_instance.db")]


def test_deletion_protection_is_demanded_only_where_protected() -> None:
    loose = db(deletion_protection=False, skip_final_snapshot=True)
    assert ids(make_plan(loose), DEV, "DB-004") == []
    (violation,) = [v for v in check_plan(make_plan(loose), PROD) if v.check_id == "DB-004"]
    assert "deletion_protection is off" in violation.message and "skip_final_snapshot" in violation.message
    # Read replicas hold no data of their own: they may go without protection.
    replica = db("replica", deletion_protection=False, skip_final_snapshot=True, replicate_source_db="arn:db")
    assert ids(make_plan(replica), PROD, "DB-004") == []
    # An unnamed environment gets the strictest rules.
    assert ids(make_plan(loose), CTX, "DB-004") == [("DB-004", "aws_db_instance.db")]


def cache(nodes: int = 2, **after: Any) -> Res:
    base = {
        "at_rest_encryption_enabled": "true",
        "transit_encryption_enabled": True,
        "automatic_failover_enabled": nodes >= 2,
        "multi_az_enabled": nodes >= 2,
        "num_cache_clusters": nodes,
    }
    return Res("aws_elasticache_replication_group", "cache", after={**base, **after})


def test_cache_encryption_at_rest_and_in_transit() -> None:
    assert ids(make_plan(cache()), PROD, "CACHE-") == []
    bad = cache(at_rest_encryption_enabled="false", transit_encryption_enabled=False)
    (violation,) = [v for v in check_plan(make_plan(bad), DEV) if v.check_id == "CACHE-001"]
    assert "at rest and in transit" in violation.message


def test_cache_failover_required_in_highly_available_environments() -> None:
    single = cache(nodes=1)
    assert ids(make_plan(single), DEV, "CACHE-") == []
    (violation,) = [v for v in check_plan(make_plan(single), PROD) if v.check_id == "CACHE-002"]
    assert "automatic_failover_enabled is off" in violation.message and "1 node" in violation.message
    standalone = Res("aws_elasticache_cluster", "solo", after={"replication_group_id": None})
    assert ids(make_plan(standalone), PROD, "CACHE-002") == [("CACHE-002", "aws_elasticache_cluster.solo")]


# --- SEC-001 -----------------------------------------------------------------------------------


def test_literal_passwords_and_tokens_in_a_plan_fail() -> None:
    plan = make_plan(
        db(password="hunter2-hunter2"),
        Res("aws_elasticache_replication_group", "c", after={"auth_token": "a" * 32}),
        Res(
            "aws_secretsmanager_secret_version",
            "v",
            after={"secret_string": json.dumps({"username": "app", "password": "pw-in-plan"})},
        ),
        Res("aws_ssm_parameter", "p", after={"type": "SecureString", "value": "x"}),
    )
    found = {a for c, a in ids(plan, DEV, "SEC-001")}
    expected = {
        "aws_db_instance.db",
        "aws_elasticache_replication_group.c",
        "aws_secretsmanager_secret_version.v",
        "aws_ssm_parameter.p",
    }
    assert found == expected


def test_secret_json_without_secret_fields_and_unknown_values_pass() -> None:
    plan = make_plan(
        Res(
            "aws_secretsmanager_secret_version",
            "v",
            after={"secret_string": json.dumps({"host": "db.internal", "username": "app", "port": 5432})},
        ),
        Res("aws_db_instance", "managed", after={"password": None}, after_unknown={"endpoint": True}),
    )
    assert ids(plan, DEV, "SEC-001") == []


def test_secret_looking_container_environment_fails() -> None:
    containers = [
        {
            "name": "app",
            "environment": [
                {"name": "LOG_LEVEL", "value": "info"},
                {"name": "DB_PASSWORD", "value": "s3cret"},
            ],
            "secrets": [{"name": "API_TOKEN", "valueFrom": "arn:aws:secretsmanager:af-south-1:1:secret:x"}],
        }
    ]
    plan = make_plan(
        Res("aws_ecs_task_definition", "t", after={"container_definitions": json.dumps(containers)}),
        Res(
            "aws_lambda_function",
            "f",
            after={"environment": [{"variables": {"SECRETS_MANAGER_ENDPOINT": "x"}}]},
        ),
    )
    violations = [v for v in check_plan(plan, DEV) if v.check_id == "SEC-001"]
    assert [v.address for v in violations] == ["aws_ecs_task_definition.t"]
    assert "DB_PASSWORD" in violations[0].message


def test_a_secret_arn_in_a_secret_named_variable_is_a_reference() -> None:
    arn = "arn:aws:secretsmanager:af-south-1:123456789012:secret:/ngapp/dev/monitoring/slack-AbCdEf"
    plan = make_plan(
        Res("aws_lambda_function", "ref", after={"environment": [{"variables": {"SLACK_SECRET_ARN": arn}}]}),
        Res("aws_lambda_function", "leak", after={"environment": [{"variables": {"SLACK_SECRET": "xyz"}}]}),
        Res(
            "aws_lambda_function",
            "spoof",
            after={"environment": [{"variables": {"API_TOKEN": f"{arn} plus-a-token"}}]},
        ),
    )
    assert {a for _, a in ids(plan, DEV, "SEC-001")} == {
        "aws_lambda_function.leak",
        "aws_lambda_function.spoof",
    }


def test_credential_patterns_anywhere_in_a_value_fail() -> None:
    key_id = "AKIA" + "ABCDEFGHIJKLMNOP"
    plan = make_plan(
        Res("aws_ssm_parameter", "url", after={"type": "String", "value": "postgres://app:pw@db:5432/app"}),
        Res("aws_lambda_function", "k", after={"description": f"uses {key_id}"}),
    )
    assert {a for _, a in ids(plan, DEV, "SEC-001")} == {"aws_ssm_parameter.url", "aws_lambda_function.k"}


# --- SEC-002 -----------------------------------------------------------------------------------


def role_arn(env: str, name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/ngapp-{env}-{name}"


def deny_unless(readers: list[str]) -> str:
    """The secrets module's resource policy: deny reads to everyone not listed, allow the listed."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:PrincipalArn": readers}},
                },
                {"Effect": "Allow", "Principal": {"AWS": readers}, "Action": "secretsmanager:GetSecretValue"},
            ],
        }
    )


def secret_with_policy(name: str, policy: str | None) -> list[Res]:
    secret = Res("aws_secretsmanager_secret", "s", after={"name": name})
    if policy is None:
        return [secret]
    ref = {"secret_arn": {"references": ["aws_secretsmanager_secret.s.arn", "aws_secretsmanager_secret.s"]}}
    return [secret, Res("aws_secretsmanager_secret_policy", "s", after={"policy": policy}, expressions=ref)]


def test_module_style_policy_with_own_roles_passes() -> None:
    readers = [role_arn("dev", "task"), role_arn("dev", "execution"), f"arn:aws:iam::{ACCOUNT}:user/deployer"]
    plan = make_plan(*secret_with_policy("/ngapp/dev/db/app", deny_unless(readers)))
    assert ids(plan, DEV, "SEC-002") == []


def test_secret_without_policy_or_with_unknown_policy_fails() -> None:
    assert ids(make_plan(*secret_with_policy("/ngapp/dev/db/app", None)), DEV, "SEC-002") == [
        ("SEC-002", "aws_secretsmanager_secret.s")
    ]
    secret, policy = secret_with_policy("/ngapp/dev/db/app", "x")
    del policy.after["policy"]
    policy.after_unknown["policy"] = True
    (violation,) = [v for v in check_plan(make_plan(secret, policy), DEV) if v.check_id == "SEC-002"]
    assert "known only after apply" in violation.message


def test_policy_admitting_another_environment_fails() -> None:
    readers = [role_arn("dev", "task"), role_arn("staging", "task")]
    plan = make_plan(*secret_with_policy("/ngapp/dev/db/app", deny_unless(readers)))
    (violation,) = [v for v in check_plan(plan, DEV) if v.check_id == "SEC-002"]
    assert "ngapp-staging-task" in violation.message and "allows" in violation.message


def test_policy_that_allows_everyone_or_denies_nobody_fails() -> None:
    allow_all = json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:*", "Resource": "*"}]}
    )
    assert ids(make_plan(*secret_with_policy("/ngapp/dev/x", allow_all)), DEV, "SEC-002")
    wildcard = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "secretsmanager:GetSecretValue",
                    "Condition": {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/ngapp-*"}},
                }
            ]
        }
    )
    violations = ids(make_plan(*secret_with_policy("/ngapp/dev/x", wildcard)), DEV, "SEC-002")
    assert violations and all(a == "aws_secretsmanager_secret_policy.s" for _, a in violations)


def test_secret_outside_the_naming_scheme_fails() -> None:
    plan = make_plan(*secret_with_policy("app-password", deny_unless([role_arn("dev", "task")])))
    (violation,) = [v for v in check_plan(plan, DEV) if v.check_id == "SEC-002"]
    assert "/ngapp/<environment>/" in violation.message


def identity(statements: list[dict[str, Any]], role: str = "ngapp-dev-task") -> list[Res]:
    policy = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return [
        Res("aws_iam_role", "r", after={"name": role}),
        Res("aws_iam_role_policy", "p", after={"role": role, "policy": policy}),
    ]


def read(resource: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": resource}


def test_identity_policy_reading_own_secrets_passes() -> None:
    own = f"arn:aws:secretsmanager:af-south-1:{ACCOUNT}:secret:/ngapp/dev/db/app-AbC123"
    own_env = "arn:aws:secretsmanager:*:*:secret:/ngapp/dev/*"
    assert ids(make_plan(*identity([read(own), read(own_env)])), DEV, "SEC") == []


def test_identity_policy_reaching_other_environments_fails() -> None:
    for resource in (
        "*",
        "arn:aws:secretsmanager:*:*:secret:/ngapp/staging/*",
        "arn:aws:secretsmanager:*:*:secret:*",
    ):
        assert ids(make_plan(*identity([read(resource)])), DEV, "SEC-002") == [
            ("SEC-002", "aws_iam_role_policy.p")
        ]
    # An explicit Deny on other environments' paths makes a broad grant safe.
    deny = {
        "Effect": "Deny",
        "Action": "secretsmanager:*",
        "NotResource": "arn:aws:secretsmanager:*:*:secret:/ngapp/dev/*",
    }
    assert ids(make_plan(*identity([read("*"), deny])), DEV, "SEC-002") == []
