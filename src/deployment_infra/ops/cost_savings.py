"""What each cost choice saves against its alternative (Fargate Spot, one shared NAT gateway,
reserved RDS/ElastiCache), and what resilience costs (Multi-AZ, replicas), from the facts the
rules gathered while pricing a plan (ops/cost_rules.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from deployment_infra.ops.cost_rules import ON_DEMAND, RESERVED, SPOT, FargateUse, Rules, fargate_terms
from deployment_infra.ops.pricing import MissingPriceError, PriceTable


@dataclass(frozen=True)
class Choice:
    """A saving (what the choice saves, or would save, against its alternative) or a resilience cost."""

    id: str
    title: str
    monthly_usd: float
    applied: bool
    basis: str


def on_demand(use: FargateUse) -> FargateUse:
    """The same service with every task on on-demand FARGATE."""
    return FargateUse(use.address, {ON_DEMAND: sum(use.tasks.values())}, use.vcpu, use.gb, use.arch)


def fargate_usd(use: FargateUse, table: PriceTable) -> float:
    return sum(t.quantity * table.price(t.key).usd for t in fargate_terms(use, table.hours_per_month))


def spot_choice(rules: Rules) -> Choice:
    spot = [u for u in rules.fargate if u.tasks.get(SPOT, 0) > 0]
    saved, parts, missing = 0.0, [], []
    for use in spot:
        try:
            saving = fargate_usd(on_demand(use), rules.table) - fargate_usd(use, rules.table)
        except MissingPriceError as exc:
            missing.append(exc.key)
            continue
        saved += saving
        parts.append(
            f"{use.address}: {use.tasks[SPOT]:g} of {sum(use.tasks.values()):g} task(s) on spot, {saving:.2f}"
        )
    basis = "; ".join(parts) or "no service has a FARGATE_SPOT weight: every task runs on-demand"
    if missing:
        basis += f"; not computed where the table lacks {', '.join(sorted(set(missing)))}"
    title = "FARGATE_SPOT weight (vs every task on-demand; spot tasks can be stopped at 2 minutes' notice)"
    return Choice("fargate-spot", title, saved, bool(spot), basis)


def nat_choice(rules: Rules) -> Choice:
    title = "one shared NAT gateway (vs one per AZ; a NAT's AZ going down cuts the others' egress)"
    n, azs = rules.nat_gateways, rules.az_count
    if n == 0 or azs <= 1:
        return Choice(
            "single-nat-gateway", title, 0.0, False, "no NAT gateway, or a single AZ: nothing to choose"
        )
    try:
        per_gateway = rules.hours * sum(
            rules.table.price(k).usd for k in ("nat-gateway:hour", "public-ipv4:hour")
        )
        inter_az = rules.table.price("data-transfer:inter-az:gb").usd
    except MissingPriceError as exc:
        return Choice("single-nat-gateway", title, 0.0, n < azs, f"not computed: no price {exc.key!r}")
    applied = n < azs
    fewer = azs - n if applied else n - 1
    # traffic from AZs without a gateway of their own crosses to another AZ and pays for it
    crossing = rules.usage["nat_gb"] * (azs - n if applied else azs - 1) / azs
    saving = fewer * per_gateway - crossing * inter_az
    basis = (
        f"{n} gateway(s) for {azs} AZs; {fewer} fewer x {per_gateway:.2f} (hours + public IPv4) "
        f"- {crossing:.4g} GB crossing AZs x {inter_az:g}"
    )
    return Choice("single-nat-gateway", title, saving, applied, basis if applied else "would save: " + basis)


def reservation_choice(rules: Rules, kind: str) -> Choice:
    uses = [u for u in rules.instances if u.kind == kind]
    on = rules.reserved.get(kind, False)
    saved, missing = 0.0, []
    for use in uses:
        try:
            hourly = rules.table.price(use.on_demand_key).usd - rules.table.price(use.reserved_key).usd
        except MissingPriceError as exc:
            missing.append(exc.key)
            continue
        saved += use.nodes * rules.hours * hourly
    what = "RDS instances" if kind == "rds" else "ElastiCache nodes"
    state = "on" if on else "off (would save this if turned on)"
    basis = f"{sum(u.nodes for u in uses):g} {what}; reserved_capacity is {state} (ADR 0006)"
    if missing:
        basis += f"; no rate for {', '.join(sorted(set(missing)))}"
    title = f"{what} reserved 1 year, no upfront (vs on-demand)"
    return Choice(f"reserved-{kind}", title, saved, on, basis)


def resilience_costs(rules: Rules, cost_of: Mapping[str, float]) -> tuple[Choice, ...]:
    """What Multi-AZ and replicas cost: required where the environment is highly available, not savings."""
    standby, standby_parts = 0.0, []
    for use in rules.instances:
        if use.single_az_key is None or use.address not in cost_of:
            continue
        on = rules.reserved.get("rds", False)
        suffix = f":{RESERVED}:hour" if on else ":hour"
        multi_key, single_key = use.on_demand_key, use.single_az_key
        try:
            price = rules.table.price
            hourly = (
                price(multi_key.removesuffix(":hour") + suffix).usd
                - price(single_key.removesuffix(":hour") + suffix).usd
            )
            storage = price("rds:gp3:multi-az:gb-month").usd - price("rds:gp3:single-az:gb-month").usd
        except MissingPriceError as exc:
            standby_parts.append(f"{use.address}: no price {exc.key!r}")
            continue
        standby += rules.hours * hourly + use.storage_gb * storage
        standby_parts.append(use.address)
    replicas = [u.address for u in rules.instances if u.kind == "rds" and u.replica and u.address in cost_of]
    cache = [
        (u.address, (u.nodes - 1) / u.nodes)
        for u in rules.instances
        if u.kind == "elasticache" and u.nodes > 1
    ]
    cache = [(a, share) for a, share in cache if a in cost_of]
    return (
        Choice(
            "rds-multi-az",
            "RDS Multi-AZ standby",
            standby,
            bool(standby_parts),
            ", ".join(standby_parts) or "no Multi-AZ instance",
        ),
        Choice(
            "rds-read-replicas",
            "RDS read replicas",
            sum(cost_of[a] for a in replicas),
            bool(replicas),
            f"{len(replicas)} replica(s)" if replicas else "no read replica",
        ),
        Choice(
            "cache-replicas",
            "ElastiCache replica nodes (failover)",
            sum(cost_of[a] * share for a, share in cache),
            bool(cache),
            ", ".join(f"{a}: {share:.0%} of its nodes" for a, share in cache) or "no replica node",
        ),
    )
