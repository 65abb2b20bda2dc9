"""`infra ops cost-report`: price an environment's plan (a given plan JSON, or a plan made now).

Exit codes: 0 report printed; 1 the plan could not be made; 2 bad input (unknown environment,
missing or unreadable plan file, invalid price table).
"""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from deployment_infra import policy, ui
from deployment_infra import settings as settings_mod
from deployment_infra.commands.common import context, stack
from deployment_infra.errors import InfraError, UsageError
from deployment_infra.ops import pricing
from deployment_infra.ops.cost_report import CostReport, estimate
from deployment_infra.ui import print_json


def report(env: str, plan_file: Path | None, target: str, as_json: bool) -> int:
    s = settings_mod.load()
    environment = s.environment(env)  # an unknown environment is bad input, before any work
    table = pricing.load_for_region(s.root, environment.region)
    if plan_file is not None:
        plan = policy.load_plan_file(plan_file)
        source = str(plan_file)
    else:
        st = stack(context(target), env)
        # the same saved plan `infra plan` makes (and gates); terraform runs only in terraform.py
        outcome = st.plan()
        if outcome.violations:
            ui.warn(
                f"the plan for {env} fails the policy gate ({len(outcome.violations)} violation(s), "
                "see `infra plan`): priced anyway, but it cannot be applied"
            )
        try:
            plan = policy.load_plan_file(st.work.plan_json)
        except UsageError as exc:
            raise InfraError(f"the plan for {env} could not be read back: {exc}") from None
        source = str(st.work.plan_json)
    result = estimate(plan, table, env)
    if as_json:
        print_json({**result.to_dict(), "plan": source, "target": target if plan_file is None else None})
    else:
        show(result, source)
    return 0


def _usd(value: float) -> str:
    return f"{value:,.2f}"


def show(result: CostReport, source: str) -> None:
    t = result.table
    ui.table(
        f"Monthly cost estimate: {result.environment} ({t.location}, {t.region}), "
        f"USD, {t.hours_per_month:g} h a month",
        ["resource", "type", "USD/month", "basis (quantity unit x USD)"],
        [(ln.address, ln.type, _usd(ln.monthly_usd), ln.basis) for ln in result.lines],
    )
    ui.out.print(
        f"Total: {_usd(result.total_usd)} USD/month for {len(result.lines)} priced resource(s); "
        f"{len(result.no_charge)} cost nothing themselves; {len(result.not_priced)} not priced "
        "(not in the total)",
        markup=False,
    )
    for address, limit in result.budget_limits.items():
        share = f"{result.total_usd / limit:.0%} of it" if limit else "the limit is 0"
        ui.out.print(f"Budget {address}: {_usd(limit)} USD/month; this estimate is {share}", markup=False)
    if result.not_priced:
        ui.table(
            f"Not priced: {len(result.not_priced)}",
            ["resource", "type", "why"],
            [(s.address, s.type, s.reason) for s in result.not_priced],
        )
    ui.table(
        "Savings of each cost choice (USD/month against its alternative)",
        ["choice", "in effect", "saves", "basis"],
        [(c.title, "yes" if c.applied else "no", _usd(c.monthly_usd), c.basis) for c in result.savings],
    )
    ui.table(
        "Resilience costs (not savings: required where the environment is highly available)",
        ["what", "USD/month", "basis"],
        [(c.title, _usd(c.monthly_usd), c.basis) for c in result.resilience],
    )
    ui.table(
        escape(f"Assumptions per month, from {result.usage_source} of {t.path.name}"),
        ["key", "value", "unit", "meaning"],
        [(k, f"{v:g}", *pricing.USAGE[k]) for k, v in sorted(result.usage.items())],
    )
    ui.out.print(f"Plan: {source}", markup=False)
    ui.out.print(t.provenance(), markup=False)
