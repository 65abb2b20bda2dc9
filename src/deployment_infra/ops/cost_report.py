"""`infra ops cost-report`: a monthly estimate per resource of a Terraform plan, and what each cost
choice (Fargate Spot, one NAT gateway, reservations) saves against its alternative.

Quantities come from the plan (ops/cost_catalog.py, ops/cost_rules.py), prices and the usage the
plan cannot know from the region's price table (ops/pricing.py), savings from ops/cost_savings.py.
A resource without a rule or a price is listed as not priced, never counted as zero; resources that
cost nothing themselves are listed with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployment_infra.ops.cost_catalog import NO_CHARGE, RULES
from deployment_infra.ops.cost_rules import NotPricedError, Rules, Term, number, referenced
from deployment_infra.ops.cost_savings import (
    Choice,
    nat_choice,
    reservation_choice,
    resilience_costs,
    spot_choice,
)
from deployment_infra.ops.pricing import USAGE, MissingPriceError, PriceTable
from deployment_infra.policy import build_view
from deployment_infra.policy.model import PlanView
from deployment_infra.policy.plan import LOCAL_ONLY_PROVIDERS


@dataclass(frozen=True)
class PricedTerm:
    quantity: float
    key: str
    unit: str
    unit_usd: float
    what: str

    @property
    def usd(self) -> float:
        return self.quantity * self.unit_usd

    def describe(self) -> str:
        return f"{self.quantity:.4g} {self.unit} x {self.unit_usd:g} ({self.what})"


@dataclass(frozen=True)
class Line:
    address: str
    type: str
    terms: tuple[PricedTerm, ...]
    note: str = ""

    @property
    def monthly_usd(self) -> float:
        return sum(t.usd for t in self.terms)

    @property
    def basis(self) -> str:
        text = " + ".join(t.describe() for t in self.terms)
        return f"{text}; {self.note}" if self.note else text


@dataclass(frozen=True)
class Skipped:
    """A resource not in the total: not priced (and why), or one that costs nothing itself."""

    address: str
    type: str
    reason: str


@dataclass(frozen=True)
class CostReport:
    environment: str
    table: PriceTable
    lines: tuple[Line, ...]
    not_priced: tuple[Skipped, ...]
    no_charge: tuple[Skipped, ...]
    savings: tuple[Choice, ...]
    resilience: tuple[Choice, ...]
    usage: Mapping[str, float]
    usage_source: str
    reserved: Mapping[str, bool]
    budget_limits: Mapping[str, float]  # aws_budgets_budget address -> monthly USD limit

    @property
    def total_usd(self) -> float:
        return sum(line.monthly_usd for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        t = self.table
        return {
            "environment": self.environment,
            "region": t.region,
            "currency": t.currency,
            "hours_per_month": t.hours_per_month,
            "total_monthly_usd": round(self.total_usd, 2),
            "prices": {
                "file": str(t.path),
                "as_of": t.as_of.isoformat(),
                "source": t.source,
                "verified": t.unverified == 0,
                "unverified_entries": t.unverified,
                "provenance": t.provenance(),
            },
            "resources": [
                {
                    "address": ln.address,
                    "type": ln.type,
                    "monthly_usd": round(ln.monthly_usd, 4),
                    "basis": ln.basis,
                    "terms": [
                        {
                            "quantity": p.quantity,
                            "price": p.key,
                            "unit": p.unit,
                            "unit_usd": p.unit_usd,
                            "what": p.what,
                        }
                        for p in ln.terms
                    ],
                }
                for ln in self.lines
            ],
            "not_priced_count": len(self.not_priced),
            "not_priced": [vars(s) for s in self.not_priced],
            "no_charge": [vars(s) for s in self.no_charge],
            "savings": [{**vars(c), "monthly_usd": round(c.monthly_usd, 2)} for c in self.savings],
            "resilience_costs": [
                {**vars(c), "monthly_usd": round(c.monthly_usd, 2)} for c in self.resilience
            ],
            "reserved_capacity": dict(self.reserved),
            "budget_limits": [{"address": a, "monthly_usd": v} for a, v in self.budget_limits.items()],
            "assumptions": {
                "source": self.usage_source,
                "values": {
                    k: {"value": v, "unit": USAGE[k][0], "meaning": USAGE[k][1]}
                    for k, v in sorted(self.usage.items())
                },
            },
        }


def estimate(plan: Mapping[str, Any], table: PriceTable, environment: str) -> CostReport:
    """Price every live managed resource of `plan` (a `terraform show -json` document)."""
    view = build_view(plan)
    usage, usage_source = table.usage_for(environment)
    rules = Rules(view, table, usage, reservations(plan), az_count(view, plan))
    rules.flow_log_groups = flow_log_groups(view)
    lines: list[Line] = []
    not_priced: list[Skipped] = []
    no_charge: list[Skipped] = []
    for res in sorted(view.resources, key=lambda r: r.address):
        rule = RULES.get(res.type)
        if res.provider_name in LOCAL_ONLY_PROVIDERS:
            no_charge.append(Skipped(res.address, res.type, "exists only in Terraform state"))
            continue
        if rule is None:
            reason = NO_CHARGE.get(res.type)
            target = no_charge if reason else not_priced
            target.append(Skipped(res.address, res.type, reason or f"no pricing rule for {res.type}"))
            continue
        marks = (len(rules.fargate), len(rules.instances), rules.nat_gateways)
        try:
            terms, note = rule(rules, res)
            priced = tuple(_priced(table, term) for term in terms)
        except (NotPricedError, MissingPriceError) as exc:
            # the facts of a resource that is not priced must not feed the savings either
            del rules.fargate[marks[0] :], rules.instances[marks[1] :]
            rules.nat_gateways = marks[2]
            reason = (
                f"no price {exc.key!r} in {table.path.name}"
                if isinstance(exc, MissingPriceError)
                else str(exc)
            )
            not_priced.append(Skipped(res.address, res.type, reason))
            continue
        if priced:
            lines.append(Line(res.address, res.type, priced, note))
        else:
            no_charge.append(Skipped(res.address, res.type, note))
    savings = (
        spot_choice(rules),
        nat_choice(rules),
        reservation_choice(rules, "rds"),
        reservation_choice(rules, "elasticache"),
    )
    return CostReport(
        environment=environment,
        table=table,
        lines=tuple(sorted(lines, key=lambda ln: (-ln.monthly_usd, ln.address))),
        not_priced=tuple(not_priced),
        no_charge=tuple(no_charge),
        savings=savings,
        resilience=resilience_costs(rules, {ln.address: ln.monthly_usd for ln in lines}),
        usage=usage,
        usage_source=usage_source,
        reserved=rules.reserved,
        budget_limits=budget_limits(view),
    )


def _priced(table: PriceTable, term: Term) -> PricedTerm:
    price = table.price(term.key)
    return PricedTerm(term.quantity, term.key, price.unit, price.usd, term.what)


def reservations(plan: Mapping[str, Any]) -> dict[str, bool]:
    """Whether the plan's `reserved_capacity` variable (opt-in, off by default) turns reservations on:
    a bool for both, or an object naming rds/database and elasticache/cache."""
    value = _variable(plan, "reserved_capacity")
    if isinstance(value, dict) and isinstance(value.get("enabled"), bool):
        value = value["enabled"]
    if isinstance(value, bool):
        return {"rds": value, "elasticache": value}
    if isinstance(value, dict):
        return {
            "rds": any(value.get(k) is True for k in ("rds", "database", "db")),
            "elasticache": any(value.get(k) is True for k in ("elasticache", "cache", "redis")),
        }
    return {"rds": False, "elasticache": False}


def _variable(plan: Mapping[str, Any], name: str) -> Any:
    """The value of root variable `name` as the plan records it (None if absent)."""
    variables = plan.get("variables")
    variable = variables.get(name) if isinstance(variables, dict) else None
    return variable.get("value") if isinstance(variable, dict) else None


def budget_limits(view: PlanView) -> dict[str, float]:
    """Monthly USD cost budgets of the plan, to hold the estimate against."""
    found: dict[str, float] = {}
    for budget in view.of_type("aws_budgets_budget"):
        after = budget.after
        limit = number(after.get("limit_amount"))
        monthly = after.get("time_unit") in (None, "MONTHLY") and after.get("budget_type") in (None, "COST")
        if limit is not None and monthly and after.get("limit_unit") in (None, "USD"):
            found[budget.address] = limit
    return found


def az_count(view: PlanView, plan: Mapping[str, Any]) -> int:
    """AZs the plan's subnets span (else the root's az_count variable, else 1)."""
    zones = {z for s in view.of_type("aws_subnet") if isinstance(z := s.after.get("availability_zone"), str)}
    if zones:
        return len(zones)
    value = _variable(plan, "az_count")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def flow_log_groups(view: PlanView) -> set[str]:
    found: set[str] = set()
    for flow_log in view.of_type("aws_flow_log"):
        for attribute in ("log_destination", "log_group_name"):
            found.update(r.address for r in referenced(view, flow_log, attribute, "aws_cloudwatch_log_group"))
    return found
