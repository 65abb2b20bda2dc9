"""`infra ops cost-report` on a real plan: `infra plan --env dev` against an emulator of its own, then
the report of that plan file; the report planning by itself; and a plan that cannot be made.

Every priced line is checked against the price table (unit price and arithmetic), the big items
(NAT, ALB, RDS, cache, Fargate) must be there with plausible values, and no resource of a type the
estimator supports may be left "not priced".
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.ops import pricing
from deployment_infra.ops.cost_catalog import SUPPORTED_TYPES
from tests.conftest import copy_project, own_emulator, run_infra

pytestmark = pytest.mark.integration
TIMEOUT_S = 600


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory, terraform_available: str
) -> Iterator[tuple[Path, dict]]:
    """A project copy and an emulator of this module's own (the session's serves other tests)."""
    where = copy_project(tmp_path_factory.mktemp("cost-project"))
    with own_emulator(where / ".infra") as emulator:
        yield where, {"INFRA_EMULATOR_PORT": str(emulator.port)}


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout: {result.stdout[-2000:]}\nstderr: {result.stderr[-3000:]}"
    )
    return result


@pytest.fixture(scope="module")
def dev_report(project: tuple[Path, dict]) -> dict[str, Any]:
    where, env = project
    ok(run_infra(where, "plan", "--env", "dev", "--json", env=env, timeout=TIMEOUT_S))
    plan_file = where / ".infra" / "local" / "dev" / "plan.json"
    args = ("ops", "cost-report", "--env", "dev", "--plan-file", str(plan_file), "--json")
    return dict(json.loads(ok(run_infra(where, *args, env=env)).stdout))


def test_every_priced_line_matches_the_table(project: tuple[Path, dict], dev_report: dict[str, Any]) -> None:
    table = pricing.load(project[0] / "cost" / "prices-af-south-1.toml")
    assert dev_report["resources"], "nothing priced"
    for line in dev_report["resources"]:
        expected = 0.0
        for term in line["terms"]:
            price = table.prices[term["price"]]
            assert (term["unit_usd"], term["unit"]) == (price.usd, price.unit), line["address"]
            assert term["quantity"] >= 0, line["address"]
            expected += term["quantity"] * price.usd
        assert line["monthly_usd"] == pytest.approx(expected, abs=1e-4), line["address"]
    total = sum(line["monthly_usd"] for line in dev_report["resources"])
    assert dev_report["total_monthly_usd"] == pytest.approx(total, abs=0.01)
    assert "not verified online" in dev_report["prices"]["provenance"]


def test_big_items_are_there_and_plausible(project: tuple[Path, dict], dev_report: dict[str, Any]) -> None:
    by_type: dict[str, list[float]] = {}
    for line in dev_report["resources"]:
        by_type.setdefault(line["type"], []).append(line["monthly_usd"])
    # dev: one NAT gateway, one ALB, a single-AZ db.t4g.micro, one cache.t4g.micro node, the API
    # service plus Prometheus, Alertmanager and Grafana on Fargate
    expected = {
        "aws_nat_gateway": (1, 30, 150),
        "aws_lb": (1, 15, 150),
        "aws_db_instance": (1, 10, 150),
        "aws_elasticache_replication_group": (1, 5, 100),
        "aws_ecs_service": (4, 1, 100),
    }
    for rtype, (count, low, high) in expected.items():
        values = by_type.get(rtype, [])
        assert len(values) == count, (rtype, values)
        assert all(low < v < high for v in values), (rtype, values)
    assert 100 < dev_report["total_monthly_usd"] < 1000
    unsupported_left = [n for n in dev_report["not_priced"] if n["type"] in SUPPORTED_TYPES]
    assert unsupported_left == [], unsupported_left
    savings = {s["id"]: s for s in dev_report["savings"]}
    assert savings["fargate-spot"]["applied"] and savings["fargate-spot"]["monthly_usd"] > 0
    assert savings["single-nat-gateway"]["applied"] and savings["single-nat-gateway"]["monthly_usd"] > 0
    for kind in ("reserved-rds", "reserved-elasticache"):  # opt-in, off: what it would save
        assert not savings[kind]["applied"] and savings[kind]["monthly_usd"] > 0


def test_without_a_plan_file_it_plans_itself(project: tuple[Path, dict], dev_report: dict[str, Any]) -> None:
    where, env = project
    report = json.loads(
        ok(
            run_infra(where, "ops", "cost-report", "--env", "dev", "--json", env=env, timeout=TIMEOUT_S)
        ).stdout
    )
    assert report["plan"] == str(where / ".infra" / "local" / "dev" / "plan.json")
    assert report["total_monthly_usd"] == dev_report["total_monthly_usd"]
    assert [r["address"] for r in report["resources"]] == [r["address"] for r in dev_report["resources"]]


def test_a_plan_that_cannot_be_made_exits_1(project: tuple[Path, dict], dev_report: dict[str, Any]) -> None:
    where, env = project
    broken = where / "terraform" / "environments" / "dev" / "zz_cost_report_broken.tf"
    broken.write_text('output "broken" {\n  value = var.no_such_variable\n}\n')
    try:
        result = run_infra(where, "ops", "cost-report", "--env", "dev", env=env, timeout=TIMEOUT_S)
    finally:
        broken.unlink()
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert [ln for ln in result.stderr.splitlines() if ln.startswith("error: ")], result.stderr[-2000:]
