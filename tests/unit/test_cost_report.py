"""`infra ops cost-report`: hand-written plans priced from the real table, its validation, the
not-priced listing, the savings, and the CLI's contract. Expected dollars are computed here from the
table's own values (quantity x price), never copied from a run.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deployment_infra.ops import pricing
from deployment_infra.ops.cost_report import CostReport, estimate
from deployment_infra.ops.cost_rules import split_tasks
from tests.conftest import REPO, copy_project, run_infra

TABLE_PATH = REPO / "cost" / "prices-af-south-1.toml"
TABLE = pricing.load(TABLE_PATH)
H = TABLE.hours_per_month
USAGE, _ = TABLE.usage_for("dev")
AWS = "registry.terraform.io/hashicorp/aws"


def p(key: str) -> float:
    return TABLE.prices[key].usd


def plan(*resources: dict[str, Any], variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """A `terraform show -json` document: resource_changes plus the configuration blocks behind them."""
    root: dict[str, Any] = {"resources": [], "module_calls": {}}
    changes = []
    for r in resources:
        module = r.get("module")
        address = f"{r['type']}.{r['name']}" + (
            "" if r.get("index") is None else f"[{json.dumps(r['index'])}]"
        )
        where = root
        if module:
            address = f"module.{module}.{address}"
            call = root["module_calls"].setdefault(module, {"module": {"resources": []}})
            where = call["module"]
        config_address = f"{r['type']}.{r['name']}"
        if not any(b["address"] == config_address for b in where["resources"]):
            where["resources"].append(
                {
                    "address": config_address,
                    "mode": "managed",
                    "type": r["type"],
                    "name": r["name"],
                    "provider_config_key": r.get("provider_key", "aws"),
                    "expressions": r.get("expressions", {}),
                }
            )
        changes.append(
            {
                "address": address,
                "module_address": f"module.{module}" if module else None,
                "mode": "managed",
                "type": r["type"],
                "name": r["name"],
                "index": r.get("index"),
                "provider_name": r.get("provider", AWS),
                "change": {"actions": ["create"], "after": r.get("after", {}), "after_unknown": {}},
            }
        )
    return {
        "format_version": "1.2",
        "variables": {k: {"value": v} for k, v in (variables or {}).items()},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {
                "aws": {"name": "aws", "expressions": {"region": {"constant_value": "af-south-1"}}}
            },
            "root_module": root,
        },
    }


def res(rtype: str, name: str, after: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": rtype, "name": name, "after": after or {}, **extra}


def subnets(*zones: str) -> list[dict[str, Any]]:
    return [res("aws_subnet", "private", {"availability_zone": z}, module="vpc", index=z) for z in zones]


def service(
    strategy: list[tuple[str, int, int]], desired: int, cpu: int = 256, memory: int = 512
) -> list[Any]:
    """An ECS service and the task definition its task_definition expression refers to."""
    return [
        res("aws_ecs_task_definition", "this", {"cpu": str(cpu), "memory": str(memory)}, module="svc"),
        res(
            "aws_ecs_service",
            "this",
            {
                "desired_count": desired,
                "capacity_provider_strategy": [
                    {"capacity_provider": n, "weight": w, "base": b} for n, w, b in strategy
                ],
            },
            module="svc",
            expressions={"task_definition": {"references": ["aws_ecs_task_definition.this.arn"]}},
        ),
    ]


def line(report: CostReport, address: str) -> float:
    return next(ln.monthly_usd for ln in report.lines if ln.address == address)


def choice(report: CostReport, cid: str) -> Any:
    return next(c for c in (*report.savings, *report.resilience) if c.id == cid)


def test_network_items_priced_from_the_table() -> None:
    doc = plan(
        *subnets("af-south-1a", "af-south-1b", "af-south-1c"),
        res("aws_nat_gateway", "this", {"connectivity_type": "public"}, module="vpc", index="af-south-1a"),
        res("aws_eip", "nat", {"domain": "vpc"}, module="vpc", index="af-south-1a"),
        res(
            "aws_lb", "this", {"load_balancer_type": "application", "internal": False, "subnets": ["a", "b"]}
        ),
        res("aws_vpc_endpoint", "s3", {"vpc_endpoint_type": "Gateway"}),
        res("aws_vpc_endpoint", "ssm", {"vpc_endpoint_type": "Interface", "subnet_ids": ["a", "b", "c"]}),
    )
    report = estimate(doc, TABLE, "dev")
    nat = H * p("nat-gateway:hour") + USAGE["nat_gb"] * p("nat-gateway:gb-processed")
    assert line(report, 'module.vpc.aws_nat_gateway.this["af-south-1a"]') == pytest.approx(nat)
    assert line(report, 'module.vpc.aws_eip.nat["af-south-1a"]') == pytest.approx(H * p("public-ipv4:hour"))
    alb = H * (p("alb:hour") + USAGE["alb_lcu"] * p("alb:lcu-hour") + 2 * p("public-ipv4:hour"))
    assert line(report, "aws_lb.this") == pytest.approx(alb)
    vpce = 3 * H * p("vpc-endpoint:interface:hour") + USAGE["vpce_gb"] * p("vpc-endpoint:interface:gb")
    assert line(report, "aws_vpc_endpoint.ssm") == pytest.approx(vpce)
    assert "aws_vpc_endpoint.s3" in {s.address for s in report.no_charge}
    assert report.total_usd == pytest.approx(nat + H * p("public-ipv4:hour") + alb + vpce)
    assert report.not_priced == ()


def test_fargate_bases_then_weights_split_on_demand_and_spot() -> None:
    # desired 5, base 1 on FARGATE, then 4 split 1:3 -> 2 on-demand, 3 spot; 0.5 vCPU, 1 GB each
    doc = plan(*service([("FARGATE", 1, 1), ("FARGATE_SPOT", 3, 0)], desired=5, cpu=512, memory=1024))
    report = estimate(doc, TABLE, "dev")
    on_demand = 2 * H * (0.5 * p("fargate:x86_64:vcpu-hour") + 1 * p("fargate:x86_64:gb-hour"))
    spot = 3 * H * (0.5 * p("fargate-spot:x86_64:vcpu-hour") + 1 * p("fargate-spot:x86_64:gb-hour"))
    assert line(report, "module.svc.aws_ecs_service.this") == pytest.approx(on_demand + spot)
    saving = (
        3
        * H
        * (
            0.5 * (p("fargate:x86_64:vcpu-hour") - p("fargate-spot:x86_64:vcpu-hour"))
            + 1 * (p("fargate:x86_64:gb-hour") - p("fargate-spot:x86_64:gb-hour"))
        )
    )
    spot_choice = choice(report, "fargate-spot")
    assert spot_choice.applied and spot_choice.monthly_usd == pytest.approx(saving)
    # the task definition costs nothing itself: the service carries it
    assert [s.type for s in report.no_charge] == ["aws_ecs_task_definition"]


def test_launch_type_fargate_and_arm() -> None:
    doc = plan(
        res(
            "aws_ecs_task_definition",
            "this",
            {"cpu": "1024", "memory": "2048", "runtime_platform": [{"cpu_architecture": "ARM64"}]},
            module="m",
            index="a",
        ),
        res(
            "aws_ecs_service",
            "this",
            {"desired_count": 2, "launch_type": "FARGATE", "capacity_provider_strategy": []},
            module="m",
            index="a",
            expressions={"task_definition": {"references": ["aws_ecs_task_definition.this", "each.key"]}},
        ),
    )
    report = estimate(doc, TABLE, "dev")
    expected = 2 * H * (1 * p("fargate:arm64:vcpu-hour") + 2 * p("fargate:arm64:gb-hour"))
    assert line(report, 'module.m.aws_ecs_service.this["a"]') == pytest.approx(expected)
    assert not choice(report, "fargate-spot").applied


def database(multi_az: bool, replicas: int, klass: str = "db.t4g.medium") -> list[dict[str, Any]]:
    primary = {
        "engine": "postgres",
        "instance_class": klass,
        "multi_az": multi_az,
        "allocated_storage": 50,
        "manage_master_user_password": True,
        "backup_retention_period": 30,
        "performance_insights_enabled": True,
        "performance_insights_retention_period": 7,
    }
    found = [res("aws_db_instance", "this", primary, module="db")]
    for i in range(replicas):
        found.append(
            res(
                "aws_db_instance",
                "replica",
                {"instance_class": klass, "multi_az": False},
                module="db",
                index=f"0{i + 1}",
                expressions={"replicate_source_db": {"references": ["aws_db_instance.this.arn"]}},
            )
        )
    return found


def test_rds_multi_az_replicas_on_demand_and_their_costs() -> None:
    report = estimate(plan(*database(multi_az=True, replicas=2)), TABLE, "prod")
    usage, _ = TABLE.usage_for("prod")
    primary = (
        H * p("rds-postgres:db.t4g.medium:multi-az:hour")
        + 50 * p("rds:gp3:multi-az:gb-month")
        + p("secretsmanager:secret-month")
        + usage["rds_backup_extra_gb"] * p("rds:backup:gb-month")
    )
    replica = H * p("rds-postgres:db.t4g.medium:single-az:hour") + 50 * p("rds:gp3:single-az:gb-month")
    assert line(report, "module.db.aws_db_instance.this") == pytest.approx(primary)
    assert line(report, 'module.db.aws_db_instance.replica["01"]') == pytest.approx(replica)
    standby = H * (
        p("rds-postgres:db.t4g.medium:multi-az:hour") - p("rds-postgres:db.t4g.medium:single-az:hour")
    ) + 50 * (p("rds:gp3:multi-az:gb-month") - p("rds:gp3:single-az:gb-month"))
    assert choice(report, "rds-multi-az").monthly_usd == pytest.approx(standby)
    assert choice(report, "rds-read-replicas").monthly_usd == pytest.approx(2 * replica)
    reserved = choice(report, "reserved-rds")
    assert not reserved.applied and "off" in reserved.basis
    per_hour = (
        p("rds-postgres:db.t4g.medium:multi-az:hour")
        - p("rds-postgres:db.t4g.medium:multi-az:reserved-1y-no-upfront:hour")
        + 2
        * (
            p("rds-postgres:db.t4g.medium:single-az:hour")
            - p("rds-postgres:db.t4g.medium:single-az:reserved-1y-no-upfront:hour")
        )
    )
    assert reserved.monthly_usd == pytest.approx(H * per_hour)


@pytest.mark.parametrize("value", [True, {"rds": True, "elasticache": False}, {"enabled": True}])
def test_reserved_capacity_variable_prices_at_reserved_rates(value: Any) -> None:
    doc = plan(
        *database(multi_az=False, replicas=0, klass="db.t4g.micro"), variables={"reserved_capacity": value}
    )
    report = estimate(doc, TABLE, "dev")
    expected = (
        H * p("rds-postgres:db.t4g.micro:single-az:reserved-1y-no-upfront:hour")
        + 50 * p("rds:gp3:single-az:gb-month")
        + p("secretsmanager:secret-month")
        + USAGE["rds_backup_extra_gb"] * p("rds:backup:gb-month")
    )
    assert line(report, "module.db.aws_db_instance.this") == pytest.approx(expected)
    assert choice(report, "reserved-rds").applied
    saving = H * (
        p("rds-postgres:db.t4g.micro:single-az:hour")
        - p("rds-postgres:db.t4g.micro:single-az:reserved-1y-no-upfront:hour")
    )
    assert choice(report, "reserved-rds").monthly_usd == pytest.approx(saving)


def test_cache_nodes_and_replica_cost() -> None:
    doc = plan(
        res(
            "aws_elasticache_replication_group",
            "this",
            {"node_type": "cache.t4g.small", "num_cache_clusters": 3},
        )
    )
    report = estimate(doc, TABLE, "prod")
    node = H * p("elasticache:cache.t4g.small:hour")
    assert line(report, "aws_elasticache_replication_group.this") == pytest.approx(3 * node)
    assert choice(report, "cache-replicas").monthly_usd == pytest.approx(2 * node)
    reserved = (
        H
        * 3
        * (
            p("elasticache:cache.t4g.small:hour")
            - p("elasticache:cache.t4g.small:reserved-1y-no-upfront:hour")
        )
    )
    assert choice(report, "reserved-elasticache").monthly_usd == pytest.approx(reserved)


def test_logs_alarms_and_flow_log_group() -> None:
    doc = plan(
        res("aws_cloudwatch_log_group", "flow", {"retention_in_days": 365}, module="vpc"),
        res("aws_cloudwatch_log_group", "app", {"retention_in_days": 0}),
        res(
            "aws_flow_log",
            "this",
            {},
            module="vpc",
            expressions={"log_destination": {"references": ["aws_cloudwatch_log_group.flow.arn"]}},
        ),
        res("aws_cloudwatch_metric_alarm", "fast", {"period": 10, "metric_name": "X"}),
        res(
            "aws_cloudwatch_metric_alarm",
            "math",
            {"period": 300, "metric_query": [{"metric": [{}]}, {"metric": [{}]}, {"expression": "a+b"}]},
        ),
    )
    report = estimate(doc, TABLE, "dev")
    ratio = USAGE["log_storage_ratio"]
    flow = USAGE["flow_log_ingest_gb"]
    months = 365 / (H / 24)
    expected_flow = flow * p("cloudwatch-logs:ingest:gb") + flow * months * ratio * p(
        "cloudwatch-logs:storage:gb-month"
    )
    assert line(report, "module.vpc.aws_cloudwatch_log_group.flow") == pytest.approx(expected_flow)
    app = USAGE["log_ingest_gb"]  # never expires: 12 months assumed
    expected_app = app * p("cloudwatch-logs:ingest:gb") + app * 12 * ratio * p(
        "cloudwatch-logs:storage:gb-month"
    )
    assert line(report, "aws_cloudwatch_log_group.app") == pytest.approx(expected_app)
    assert line(report, "aws_cloudwatch_metric_alarm.fast") == pytest.approx(
        p("cloudwatch:high-resolution-alarm-month")
    )
    assert line(report, "aws_cloudwatch_metric_alarm.math") == pytest.approx(2 * p("cloudwatch:alarm-month"))


def test_budgets_first_two_free_and_the_estimate_held_against_the_limit() -> None:
    limit = {"limit_amount": "400.0", "limit_unit": "USD", "time_unit": "MONTHLY", "budget_type": "COST"}
    doc = plan(
        *(res("aws_budgets_budget", "b", limit, index=i) for i in range(3)), res("aws_kms_key", "k", {})
    )
    report = estimate(doc, TABLE, "dev")
    budgets = sorted(
        (ln for ln in report.lines if ln.type == "aws_budgets_budget"), key=lambda ln: ln.address
    )
    assert [ln.monthly_usd for ln in budgets] == [0, 0, pytest.approx(H / 24 * p("budgets:budget-day"))]
    assert report.budget_limits == {f"aws_budgets_budget.b[{i}]": 400.0 for i in range(3)}


def test_not_priced_resources_are_listed_and_counted_never_zero() -> None:
    doc = plan(
        res("aws_dynamodb_table", "locks", {"billing_mode": "PAY_PER_REQUEST"}),
        *database(multi_az=False, replicas=0, klass="db.x9.enormous"),
        res("aws_lb", "nlb", {"load_balancer_type": "network"}),
        res("aws_ecs_service", "orphan", {"desired_count": 2}),
        res("aws_kms_key", "k", {}),
        res("aws_iam_role", "r", {}),
        res("terraform_data", "t", {}, provider="terraform.io/builtin/terraform"),
    )
    report = estimate(doc, TABLE, "dev")
    reasons = {s.address: s.reason for s in report.not_priced}
    assert set(reasons) == {
        "aws_dynamodb_table.locks",
        "module.db.aws_db_instance.this",
        "aws_lb.nlb",
        "aws_ecs_service.orphan",
    }
    assert "no pricing rule" in reasons["aws_dynamodb_table.locks"]
    assert "rds-postgres:db.x9.enormous:single-az:hour" in reasons["module.db.aws_db_instance.this"]
    assert "network" in reasons["aws_lb.nlb"]
    assert "task definition" in reasons["aws_ecs_service.orphan"]
    assert report.total_usd == pytest.approx(p("kms:key-month"))  # only the key is in the total
    assert {s.address for s in report.no_charge} == {"aws_iam_role.r", "terraform_data.t"}
    # a resource that is not priced feeds no saving either
    assert choice(report, "reserved-rds").monthly_usd == 0
    document = report.to_dict()
    assert document["not_priced_count"] == 4
    assert "not verified online" in document["prices"]["provenance"]


def test_single_nat_gateway_saving_against_one_per_azs() -> None:
    zones = ("af-south-1a", "af-south-1b", "af-south-1c")
    per_gateway = H * (p("nat-gateway:hour") + p("public-ipv4:hour"))
    single = estimate(
        plan(*subnets(*zones), res("aws_nat_gateway", "this", {}, index="af-south-1a")), TABLE, "dev"
    )
    expected = 2 * per_gateway - USAGE["nat_gb"] * 2 / 3 * p("data-transfer:inter-az:gb")
    nat = choice(single, "single-nat-gateway")
    assert nat.applied and nat.monthly_usd == pytest.approx(expected)
    per_az = estimate(
        plan(*subnets(*zones), *(res("aws_nat_gateway", "this", {}, index=z) for z in zones)), TABLE, "dev"
    )
    nat = choice(per_az, "single-nat-gateway")
    assert (
        not nat.applied and nat.monthly_usd == pytest.approx(expected) and nat.basis.startswith("would save")
    )


@settings(max_examples=100, deadline=None)
@given(
    desired=st.integers(0, 30),
    on_demand_weight=st.integers(0, 10),
    spot_weight=st.integers(0, 10),
    base=st.integers(0, 5),
    size=st.sampled_from([(256, 512), (512, 1024), (1024, 3072), (4096, 16384)]),
)
def test_spot_never_costs_more_than_on_demand(
    desired: int, on_demand_weight: int, spot_weight: int, base: int, size: tuple[int, int]
) -> None:
    strategy = [("FARGATE", on_demand_weight, base), ("FARGATE_SPOT", spot_weight, 0)]
    with_spot = estimate(plan(*service(strategy, desired, *size)), TABLE, "dev")
    all_on_demand = estimate(plan(*service([("FARGATE", 1, 0)], desired, *size)), TABLE, "dev")
    saving = choice(with_spot, "fargate-spot").monthly_usd
    assert saving >= 0
    assert with_spot.total_usd <= all_on_demand.total_usd + 1e-9
    assert with_spot.total_usd + saving == pytest.approx(all_on_demand.total_usd)
    assert sum(split_tasks(desired, [(n, w, b) for n, w, b in strategy]).values()) == pytest.approx(desired)


# -- the price table's validation --------------------------------------------------------------


def raw_table() -> dict[str, Any]:
    return tomllib.loads(TABLE_PATH.read_text())


def break_price_usd(t: dict[str, Any]) -> None:
    del t["prices"]["kms:key-month"]["usd"]


def negative(t: dict[str, Any]) -> None:
    t["prices"]["kms:key-month"]["usd"] = -1.0


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (break_price_usd, "prices.\"kms:key-month\" is missing 'usd'"),
        (negative, 'prices."kms:key-month".usd is negative'),
        (lambda t: t["prices"]["kms:key-month"].update(unit="key-year"), "unknown unit 'key-year'"),
        (lambda t: t["prices"]["kms:key-month"].pop("verified"), "is missing 'verified'"),
        (lambda t: t["prices"]["kms:key-month"].update(cost=1), "unknown field 'cost'"),
        (lambda t: t["prices"]["kms:key-month"].update(usd="1.00"), "must be a number"),
        (lambda t: t["table"].pop("as_of"), "[table] is missing 'as_of'"),
        (lambda t: t["table"].update(as_of="2026-11-30"), "must be a date"),
        (lambda t: t["table"].update(source=" "), "[table].source is empty"),
        (lambda t: t["table"].update(currency="ZAR"), "currency must be 'USD'"),
        (lambda t: t["table"].update(hours_per_month=0), "hours_per_month must be above 0"),
        (lambda t: t["usage"]["dev"].update(nat_gbs=1), "unknown key 'nat_gbs'"),
        (lambda t: t["usage"]["dev"].update(nat_gb=-5), "[usage.dev].nat_gb is negative"),
        (lambda t: t["usage"]["default"].pop("s3_gb"), "[usage.default] is missing 's3_gb'"),
        (lambda t: t["usage"].pop("default"), "[usage.default] is missing"),
        (lambda t: t.update(extras={}), "unknown section 'extras'"),
        (
            lambda t: t["prices"]["fargate-spot:x86_64:vcpu-hour"].update(usd=1.0),
            'is above its on-demand price "fargate:x86_64:vcpu-hour"',
        ),
        (
            lambda t: t["prices"]["elasticache:cache.t4g.micro:reserved-1y-no-upfront:hour"].update(usd=1.0),
            "above its on-demand price",
        ),
    ],
)
def test_invalid_tables_fail_with_one_line(mutate: Any, fragment: str) -> None:
    raw = raw_table()
    mutate(raw)
    with pytest.raises(pricing.PriceTableError) as caught:
        pricing.parse(raw, TABLE_PATH)
    message = str(caught.value)
    assert fragment in message and "\n" not in message and message.startswith(str(TABLE_PATH))
    assert caught.value.exit_code == 2


def test_unreadable_tables(tmp_path: Path) -> None:
    with pytest.raises(pricing.PriceTableError, match="not found"):
        pricing.load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[table\n")
    with pytest.raises(pricing.PriceTableError, match="invalid TOML"):
        pricing.load(bad)


def test_the_shipped_table_says_it_is_not_verified() -> None:
    assert TABLE.region == "af-south-1" and TABLE.currency == "USD" and H == 730
    assert TABLE.unverified == len(TABLE.prices)  # nobody could check them: no internet
    assert "not verified online" in TABLE.provenance() and TABLE.as_of.isoformat() in TABLE.provenance()


# -- the CLI -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = copy_project(tmp_path_factory.mktemp("cost-cli"))
    assert (where / "cost" / TABLE_PATH.name).is_file(), "copy_project must copy cost/"
    return where


def one_line_error(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "content", "fragment"),
    [
        (["--env", "dev"], None, "plan file not found"),
        (["--env", "dev"], b"{not json", "not JSON"),
        (["--env", "dev"], json.dumps({"hello": "world"}).encode(), "not a terraform plan"),
        (["--env", "nope"], json.dumps(plan()).encode(), "nope"),
    ],
)
def test_cli_bad_input_exits_2(
    proj: Path, tmp_path: Path, args: list[str], content: bytes | None, fragment: str
) -> None:
    plan_file = tmp_path / "plan.json"
    if content is not None:
        plan_file.write_bytes(content)
    result = run_infra(proj, "ops", "cost-report", *args, "--plan-file", str(plan_file))
    assert result.returncode == 2, result.stderr
    assert fragment in one_line_error(result.stderr)


def test_cli_reports_a_plan_file(proj: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan(res("aws_kms_key", "k", {}), res("aws_dynamodb_table", "t", {}))))
    result = run_infra(proj, "ops", "cost-report", "--env", "dev", "--plan-file", str(plan_file), "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["total_monthly_usd"] == pytest.approx(p("kms:key-month"))
    assert document["not_priced"] == [
        {
            "address": "aws_dynamodb_table.t",
            "type": "aws_dynamodb_table",
            "reason": "no pricing rule for aws_dynamodb_table",
        }
    ]
    assert document["assumptions"]["values"]["nat_gb"]["value"] == USAGE["nat_gb"]
    text = run_infra(proj, "ops", "cost-report", "--env", "dev", "--plan-file", str(plan_file))
    assert text.returncode == 0, text.stderr
    assert "not verified online" in text.stdout and "[usage.default] + [usage.dev]" in text.stdout
    assert "Not priced: 1" in text.stdout


def test_cli_without_the_price_table_exits_2(proj: Path, tmp_path: Path) -> None:
    bare = copy_project(tmp_path / "bare")
    shutil.rmtree(bare / "cost")
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan()))
    result = run_infra(bare, "ops", "cost-report", "--env", "dev", "--plan-file", str(plan_file))
    assert result.returncode == 2
    assert "no price table for region af-south-1" in one_line_error(result.stderr)
