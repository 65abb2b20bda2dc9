"""`infra docs data-flows`' renderer over hand-built plan fragments (shaped like `terraform show -json`)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deployment_infra.ops.data_flows import build_document
from deployment_infra.ops.data_flows_render import Sources
from deployment_infra.policy import PolicyContext
from deployment_infra.transfers import Transfer
from tests.conftest import copy_project, run_infra
from tests.unit.test_policy_checks import GOOD_TAGS, Res, make_plan, provider

TODAY = dt.date(2026, 1, 1)


def transfer(ident: str, klass: str, where: str, services: set[str], expires: dt.date) -> Transfer:
    basis = "s.41(1)(a): contractual clauses with the processor"
    return Transfer(ident, klass, where, frozenset(services), basis, "dpo@example.org", expires, "hosting")


CTX = PolicyContext(
    allowed_regions={
        "public": frozenset({"af-south-1", "us-east-1"}),
        "internal": frozenset({"af-south-1", "af-south-1-los-1a"}),
        "personal": frozenset({"af-south-1", "af-south-1-los-1a", "eu-west-1"}),
    },
    required_tags=("DataClassification",),
    transfers=(
        transfer("TR-001", "personal", "af-south-1", {"rds", "s3", "backup"}, dt.date(2027, 6, 30)),
        transfer("TR-002", "personal", "eu-west-1", {"backup"}, dt.date(2027, 6, 30)),
        transfer("TR-003", "personal", "af-south-1", {"logs"}, dt.date(2025, 6, 30)),  # expired
    ),
    today=TODAY,
)


def tags(klass: str, **extra: str) -> dict[str, str]:
    return {**GOOD_TAGS, "DataClassification": klass, **extra}


def ref(*names: str) -> dict[str, Any]:
    return {"references": list(names)}


def const(value: Any) -> dict[str, Any]:
    return {"constant_value": value}


def policy_document(name: str, module: str = "", **statement: Any) -> Res:
    return Res(
        "aws_iam_policy_document",
        name,
        module=module,
        mode="data",
        tags_all=None,
        expressions={"statement": [statement]},
    )


def role(name: str, role_name: str, module: str = "") -> Res:
    return Res("aws_iam_role", name, module=module, after={"name": role_name})


def role_policy(name: str, role_ref: str, document: str, module: str = "", **extra: Any) -> Res:
    return Res(
        "aws_iam_role_policy",
        name,
        module=module,
        tags_all=None,
        expressions={
            "role": ref(f"{role_ref}.id", role_ref),
            "policy": ref(
                f"data.aws_iam_policy_document.{document}.json", f"data.aws_iam_policy_document.{document}"
            ),
        },
        **extra,
    )


def database() -> list[Res]:
    """A personal PostgreSQL in module.database, its security group, and the app's group let in."""
    return [
        Res(
            "aws_db_instance",
            "this",
            module="module.database",
            tags_all=tags("personal", BackupPlan="daily"),
            expressions={
                "vpc_security_group_ids": ref("aws_security_group.this.id", "aws_security_group.this")
            },
        ),
        Res("aws_security_group", "this", module="module.database"),
        Res("aws_security_group", "app", after={"name": "app"}),
        Res(
            "aws_vpc_security_group_ingress_rule",
            "app",
            module="module.database",
            expressions={
                "security_group_id": ref("aws_security_group.this.id", "aws_security_group.this"),
                "referenced_security_group_id": ref("var.allowed_security_group_id"),
            },
        ),
        Res(
            "aws_ecs_service",
            "app",
            expressions={"network_configuration": [{"security_groups": ref("aws_security_group.app.id")}]},
        ),
    ]


def backup() -> list[Res]:
    """A personal vault, a plan copying to eu-west-1 and a selection by tag."""
    return [
        Res("aws_backup_vault", "this", after={"name": "vault"}, tags_all=tags("personal")),
        Res(
            "aws_backup_plan",
            "this",
            after={
                "rule": [
                    {
                        "rule_name": "daily",
                        "target_vault_name": "vault",
                        "copy_action": [
                            {"destination_vault_arn": "arn:aws:backup:eu-west-1:1:backup-vault:dr"}
                        ],
                    }
                ]
            },
        ),
        Res(
            "aws_backup_selection",
            "this",
            tags_all=None,
            after={"selection_tag": [{"type": "STRINGEQUALS", "key": "BackupPlan", "value": "daily"}]},
            expressions={"plan_id": ref("aws_backup_plan.this.id", "aws_backup_plan.this")},
        ),
    ]


def secret_readers() -> list[Res]:
    """A role reading a secret through a policy document, and a resource policy whose readers come
    from a local (which the plan does not record)."""
    return [
        Res("aws_secretsmanager_secret", "db", tags_all=tags("internal")),
        role("app", "ngapp-dev-app"),
        policy_document(
            "read",
            actions=const(["secretsmanager:GetSecretValue", "kms:Decrypt"]),
            resources=ref("aws_secretsmanager_secret.db.arn", "aws_secretsmanager_secret.db"),
        ),
        role_policy("read", "aws_iam_role.app", "read"),
        policy_document(
            "db_access",
            actions=const(["secretsmanager:GetSecretValue"]),
            resources=const(["*"]),
            principals=[{"type": const("AWS"), "identifiers": ref("local.readers")}],
        ),
        Res(
            "aws_secretsmanager_secret_policy",
            "db",
            tags_all=None,
            expressions={
                "secret_arn": ref("aws_secretsmanager_secret.db.arn", "aws_secretsmanager_secret.db"),
                "policy": ref("data.aws_iam_policy_document.db_access.json"),
            },
        ),
    ]


def full_plan() -> dict[str, Any]:
    resources = [
        *database(),
        *backup(),
        *secret_readers(),
        Res("aws_s3_bucket", "assets", tags_all=tags("internal"), after={"bucket": "assets"}),
        Res("aws_cloudwatch_log_group", "audit", tags_all=tags("personal")),
        Res("aws_s3_bucket", "uploads", tags_all=tags("personal"), provider_key="aws.lagos"),
    ]
    plan = make_plan(
        *resources,
        providers={"aws": provider(), "aws.lagos": provider("af-south-1")},
    )
    # the database module is called with the app's security group
    plan["configuration"]["root_module"]["module_calls"]["database"]["expressions"] = {
        "allowed_security_group_id": ref("aws_security_group.app.id", "aws_security_group.app")
    }
    # the Lagos bucket sits in the Local Zone (inside Nigeria)
    for rc in plan["resource_changes"]:
        if rc["address"] == "aws_s3_bucket.uploads":
            rc["change"]["after"]["availability_zone"] = "af-south-1-los-1a"
    return plan


def render(plan: dict[str, Any], ctx: PolicyContext = CTX) -> str:
    return build_document({"dev": plan}, ctx, {"dev": "af-south-1"}, Sources(roots={"dev": "envs/dev"}))


def row(doc: str, store: str) -> list[str]:
    """The cells of the table row of `store` (a short address)."""
    for line in doc.splitlines():
        if line.startswith(f"| `{store}` |"):
            return [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
    raise AssertionError(f"no row for {store} in:\n{doc}")


def test_personal_database_rests_on_its_register_entry() -> None:
    cells = row(render(full_plan()), "database/aws_db_instance.this")
    assert cells[1:5] == ["`aws_db_instance`", "personal", "af-south-1", "TR-001, s.41(1)(a)"]


def test_stores_that_need_no_entry_say_why() -> None:
    doc = render(full_plan())
    assert row(doc, "aws_s3_bucket.assets")[4] == "none needed (not personal)"
    uploads = row(doc, "aws_s3_bucket.uploads")
    assert uploads[3] == "af-south-1-los-1a (in Nigeria)"
    assert uploads[4] == "none needed (in Nigeria)"


def test_expired_and_missing_entries_are_shown() -> None:
    doc = render(full_plan())
    assert row(doc, "aws_cloudwatch_log_group.audit")[4] == "EXPIRED: TR-003 (on 2025-06-30)"
    bare = PolicyContext(allowed_regions=CTX.allowed_regions, required_tags=(), today=TODAY)
    assert row(render(full_plan(), bare), "database/aws_db_instance.this")[4] == "MISSING"


def test_backup_copies_and_their_register_entries() -> None:
    doc = render(full_plan())
    vault = row(doc, "aws_backup_vault.this")[6]
    assert "AWS Backup copy by `aws_backup_plan.this` → eu-west-1: TR-002, s.41(1)(a)" in vault
    db_copies = row(doc, "database/aws_db_instance.this")[6]
    assert (
        "AWS Backup (BackupPlan=daily; rules daily) by `aws_backup_selection.this` → "
        "`aws_backup_vault.this` in af-south-1: TR-001, s.41(1)(a)" in db_copies
    )
    # the register section lists what uses each entry
    used = doc.split("### TR-002")[1].split("###")[0]
    assert (
        "  - dev, copies: `aws_backup_vault.this` AWS Backup copy by `aws_backup_plan.this` → eu-west-1\n"
        in used
    )


def test_a_role_reads_a_secret_through_its_policy_document() -> None:
    readers = row(render(full_plan()), "aws_secretsmanager_secret.db")[5]
    assert "ngapp-dev-app (IAM)" in readers.split("<br>")


def test_readers_the_plan_cannot_name_are_unresolved_not_guessed() -> None:
    readers = row(render(full_plan()), "aws_secretsmanager_secret.db")[5].split("<br>")
    assert (
        "unresolved (resource policy aws_secretsmanager_secret_policy.db: principals from local.readers "
        "in the root module (locals are not in the plan))" in readers
    )
    assert len(readers) == 2


def test_network_readers_follow_the_module_argument() -> None:
    readers = row(render(full_plan()), "database/aws_db_instance.this")[5]
    assert readers == "aws_security_group.app (network, used by aws_ecs_service.app)"


def test_a_role_in_another_module_reached_through_var_and_output() -> None:
    resources = [
        Res(
            "aws_secretsmanager_secret",
            "this",
            module="module.secrets",
            index="db",
            tags_all=tags("internal"),
        ),
        Res(
            "aws_secretsmanager_secret",
            "this",
            module="module.secrets",
            index="api",
            tags_all=tags("internal"),
        ),
        role("task", "ngapp-dev-task", module="module.app"),
        policy_document(
            "task",
            module="module.app",
            actions=const(["secretsmanager:GetSecretValue"]),
            resources=ref("var.secret_arn"),
        ),
        role_policy("task", "aws_iam_role.task", "task", module="module.app"),
    ]
    plan = make_plan(*resources)
    calls = plan["configuration"]["root_module"]["module_calls"]
    # secret_arn = module.secrets.arns["db"]: a keyed output is likely, not certainly, that secret
    calls["app"]["expressions"] = {"secret_arn": ref('module.secrets.arns["db"]', "module.secrets.arns")}
    calls["secrets"]["module"]["outputs"] = {"arns": {"expression": ref("aws_secretsmanager_secret.this")}}
    doc = render(plan)
    assert row(doc, 'secrets/aws_secretsmanager_secret.this["db"]')[5] == "maybe ngapp-dev-task (IAM)"
    assert row(doc, 'secrets/aws_secretsmanager_secret.this["api"]')[5] == "none in this plan"


def test_writers_are_told_apart_from_readers() -> None:
    resources = [
        Res("aws_s3_bucket", "logs", tags_all=tags("personal")),
        policy_document(
            "logs",
            actions=const(["s3:PutObject"]),
            resources=ref("aws_s3_bucket.logs.arn"),
            principals=[{"type": const("Service"), "identifiers": const(["delivery.logs.amazonaws.com"])}],
        ),
        Res(
            "aws_s3_bucket_policy",
            "logs",
            tags_all=None,
            expressions={
                "bucket": ref("aws_s3_bucket.logs.id"),
                "policy": ref("data.aws_iam_policy_document.logs.json"),
            },
        ),
    ]
    readers = row(render(make_plan(*resources)), "aws_s3_bucket.logs")[5]
    assert readers == "writes only: delivery.logs.amazonaws.com (resource policy aws_s3_bucket_policy.logs)"


def test_diagram_groups_stores_by_location_and_class_with_copies_as_edges() -> None:
    doc = render(full_plan())
    mermaid = doc.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert mermaid.startswith("flowchart LR\n")
    assert 'subgraph L0["af-south-1"]' in mermaid
    assert 'subgraph L1["af-south-1-los-1a (in Nigeria)"]' in mermaid
    assert re.search(r'S\d+ -->\|"AWS Backup copy: TR-002, s\.41\(1\)\(a\)"\| X\d+', mermaid)
    assert 'subgraph L2["eu-west-1"]' in mermaid


def test_header_names_its_inputs_and_has_no_date() -> None:
    doc = render(full_plan())
    assert "Generated by `infra docs data-flows` from `terraform plan`" in doc
    assert "- Transfer register: `residency/transfers.toml` (3 entries)" in doc
    assert "- `dev`: `envs/dev`, region `af-south-1`" in doc
    assert str(TODAY.year) not in doc.split("## dev")[0]


def _shuffled(plan: dict[str, Any], order: list[int]) -> dict[str, Any]:
    shuffled = copy.deepcopy(plan)
    changes = shuffled["resource_changes"]
    shuffled["resource_changes"] = [changes[i] for i in order]
    blocks = shuffled["configuration"]["root_module"]["resources"]
    blocks.reverse()
    return shuffled


def test_output_is_deterministic() -> None:
    plan = full_plan()
    assert render(plan).encode() == render(copy.deepcopy(plan)).encode()


@settings(max_examples=100, deadline=None)
@given(st.permutations(range(len(full_plan()["resource_changes"]))))
def test_output_does_not_depend_on_plan_order(order: list[int]) -> None:
    assert render(_shuffled(full_plan(), order)) == render(full_plan())


# -- the command, without terraform: every environment's plan given as a file ---------------------


@pytest.fixture(scope="module")
def proj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("docs"))


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--plan-file", "dev"], "expected ENV=PATH"),
        (["--plan-file", "qa=plan.json"], "unknown environment 'qa'"),
        (["--plan-file", "dev=missing.json"], "plan file not found"),
        (["--plan-file", "dev=a.json", "--plan-file", "dev=b.json"], "dev is given twice"),
    ],
)
def test_bad_plan_files_exit_2_in_one_line(proj: Path, args: list[str], fragment: str) -> None:
    result = run_infra(proj, "docs", "data-flows", *args)
    assert result.returncode == 2, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], result.stderr
    assert not list((proj / ".infra").glob("emulator-*.json"))  # nothing was started


def test_writes_then_checks_from_given_plans(proj: Path) -> None:
    args: list[str] = []
    for env in ("dev", "prod", "staging"):
        path = proj / f"{env}.json"
        path.write_text(json.dumps(full_plan()))
        args += ["--plan-file", f"{env}={path}"]
    written = run_infra(proj, "docs", "data-flows", *args)
    assert written.returncode == 0, written.stderr
    doc = (proj / "docs" / "data-flows.md").read_text()
    assert [line for line in doc.splitlines() if line.startswith("## ")] == [
        "## dev",
        "## prod",
        "## staging",
        "## Transfer register",
    ]
    assert "- Transfer register: `residency/transfers.toml`" in doc
    assert run_infra(proj, "docs", "data-flows", "--check", *args).returncode == 0
    (proj / "docs" / "data-flows.md").write_text(doc.replace("## prod", "## production"))
    stale = run_infra(proj, "docs", "data-flows", "--check", *args)
    assert stale.returncode == 1
    assert stale.stderr.strip() == "error: docs/data-flows.md is stale: run `infra docs data-flows`"
