"""How each resource type of a plan turns into priced quantities (Terms) for `infra ops cost-report`.

A rule returns the resource's terms and a note; no terms means the resource costs nothing itself
(the note says why). A rule raises NotPricedError when the plan does not say enough; a term whose
price is missing from the table makes the resource "not priced" too (cost_report does that).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deployment_infra.ops.pricing import PriceTable
from deployment_infra.policy.model import PlanView, Resource

SPOT = "FARGATE_SPOT"
ON_DEMAND = "FARGATE"
RESERVED = "reserved-1y-no-upfront"
FARGATE_INCLUDED_STORAGE_GB = 20


class NotPricedError(Exception):
    """The plan does not say enough to price this resource."""


@dataclass(frozen=True)
class Term:
    """`quantity` units of price `key` a month, e.g. 730 hours of "nat-gateway:hour"."""

    quantity: float
    key: str
    what: str


@dataclass(frozen=True)
class FargateUse:
    address: str
    tasks: Mapping[str, float]  # capacity provider -> tasks (fractions: the weights' expectation)
    vcpu: float
    gb: float
    arch: str


@dataclass(frozen=True)
class InstanceUse:
    """Hours of an RDS instance or cache nodes, with what the reservation and Multi-AZ choices touch."""

    address: str
    kind: str  # "rds" or "elasticache"
    nodes: float
    on_demand_key: str
    reserved_key: str
    replica: bool = False
    single_az_key: str | None = None  # set on Multi-AZ primaries: the price without the standby
    storage_gb: float = 0.0


@dataclass
class Rules:
    """What every rule may read, and the facts the savings are computed from afterwards."""

    view: PlanView
    table: PriceTable
    usage: Mapping[str, float]
    reserved: Mapping[str, bool]
    az_count: int
    fargate: list[FargateUse] = field(default_factory=list)
    instances: list[InstanceUse] = field(default_factory=list)
    nat_gateways: int = 0
    flow_log_groups: set[str] = field(default_factory=set)
    budgets_seen: int = 0

    @property
    def hours(self) -> float:
        return self.table.hours_per_month


Rule = Callable[[Rules, Resource], tuple[list[Term], str]]


def referenced(view: PlanView, res: Resource, attribute: str, rtype: str) -> list[Resource]:
    """The `rtype` resources in res's module that res's `attribute` expression refers to."""
    expr = (res.config or {}).get("expressions", {}).get(attribute)
    refs = expr.get("references", []) if isinstance(expr, dict) else []
    found: list[Resource] = []
    for ref in refs:
        if not isinstance(ref, str) or not ref.startswith(rtype + "."):
            continue
        config_address = ".".join(ref.split("[")[0].split(".")[:2])
        found = [
            r
            for r in view.of_type(rtype)
            if r.module_address == res.module_address and r.config_address == config_address
        ]
        if len(found) > 1:  # for_each/count on both sides: the instance with the same key
            found = [r for r in found if r.index == res.index] or found
        if found:
            break
    return found


def number(value: Any) -> float | None:
    """A plan value as a number (task cpu/memory are strings), or None when unknown."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def split_tasks(count: float, strategy: Sequence[tuple[str, float, float]]) -> dict[str, float]:
    """Tasks per capacity provider: bases first, the rest in proportion to the weights (ECS's rule;
    fractions stand for the expected placement)."""
    tasks = {name: 0.0 for name, _, _ in strategy}
    remaining = count
    for name, _, base in strategy:
        take = min(remaining, base)
        tasks[name] += take
        remaining -= take
    total = sum(weight for _, weight, _ in strategy)
    if remaining > 0 and strategy:
        if total > 0:
            for name, weight, _ in strategy:
                tasks[name] += remaining * weight / total
        else:  # ECS refuses a strategy without weight; count the rest on-demand (the dearer case)
            tasks[ON_DEMAND] = tasks.get(ON_DEMAND, 0.0) + remaining
    return tasks


def fargate_terms(use: FargateUse, hours: float) -> list[Term]:
    terms: list[Term] = []
    for provider, tasks in sorted(use.tasks.items()):
        if tasks <= 0:
            continue
        kind = "fargate-spot" if provider == SPOT else "fargate"
        label = f"{tasks:g} task(s) on {provider}"
        terms.append(
            Term(tasks * use.vcpu * hours, f"{kind}:{use.arch}:vcpu-hour", f"{label} x {use.vcpu:g} vCPU")
        )
        terms.append(Term(tasks * use.gb * hours, f"{kind}:{use.arch}:gb-hour", f"{label} x {use.gb:g} GB"))
    return terms


def _strategy(rules: Rules, res: Resource) -> list[tuple[str, float, float]]:
    launch_type = res.after.get("launch_type")
    if launch_type == "FARGATE":
        return [(ON_DEMAND, 1.0, 0.0)]
    if launch_type:
        raise NotPricedError(f"launch type {launch_type} runs on EC2 instances, which are not priced")
    raw = res.after.get("capacity_provider_strategy") or []
    if not raw:  # the cluster's default strategy
        for cps in rules.view.of_type("aws_ecs_cluster_capacity_providers"):
            if cps.module_address == res.module_address:
                raw = cps.after.get("default_capacity_provider_strategy") or []
    strategy = [
        (str(s.get("capacity_provider")), number(s.get("weight")) or 0.0, number(s.get("base")) or 0.0)
        for s in raw
        if isinstance(s, dict)
    ]
    others = sorted({name for name, _, _ in strategy} - {ON_DEMAND, SPOT})
    if others:
        raise NotPricedError(f"capacity provider {others[0]} runs on EC2 instances, which are not priced")
    return strategy or [(ON_DEMAND, 1.0, 0.0)]


def ecs_service(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    task_defs = referenced(rules.view, res, "task_definition", "aws_ecs_task_definition")
    if not task_defs and isinstance(res.after.get("task_definition"), str):
        family = res.after["task_definition"].rsplit("/", 1)[-1].split(":")[0]
        task_defs = [
            t for t in rules.view.of_type("aws_ecs_task_definition") if t.after.get("family") == family
        ]
    if len(task_defs) != 1:
        raise NotPricedError("its task definition is not in the plan (cpu and memory unknown)")
    task = task_defs[0]
    desired = number(res.after.get("desired_count"))
    cpu, memory = number(task.after.get("cpu")), number(task.after.get("memory"))
    if desired is None or cpu is None or memory is None:
        raise NotPricedError(f"desired_count, cpu or memory of {task.address} unknown until apply")
    platform = (task.after.get("runtime_platform") or [{}])[0] or {}
    arch = "arm64" if str(platform.get("cpu_architecture", "")).upper() == "ARM64" else "x86_64"
    use = FargateUse(
        res.address, split_tasks(desired, _strategy(rules, res)), cpu / 1024, memory / 1024, arch
    )
    rules.fargate.append(use)
    terms = fargate_terms(use, rules.hours)
    storage = (task.after.get("ephemeral_storage") or [{}])[0] or {}
    extra = max(0.0, (number(storage.get("size_in_gib")) or 0.0) - FARGATE_INCLUDED_STORAGE_GB)
    if extra:
        terms.append(
            Term(desired * extra * rules.hours, "fargate:ephemeral-storage:gb-hour", "extra storage")
        )
    return terms, f"desired_count {desired:g} (autoscaling may run more)"


def nat_gateway(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    rules.nat_gateways += 1
    count = len(rules.view.of_type("aws_nat_gateway"))
    terms = [Term(rules.hours, "nat-gateway:hour", "hours")]
    terms.append(
        Term(rules.usage["nat_gb"] / count, "nat-gateway:gb-processed", f"nat_gb / {count} gateway(s)")
    )
    return terms, "its public IPv4 address is priced on its aws_eip"


def eip(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    return [Term(rules.hours, "public-ipv4:hour", "public IPv4 address")], ""


def load_balancer(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    kind = res.after.get("load_balancer_type") or "application"
    if kind != "application":
        raise NotPricedError(f"{kind} load balancers are not priced")
    terms = [
        Term(rules.hours, "alb:hour", "hours"),
        Term(rules.usage["alb_lcu"] * rules.hours, "alb:lcu-hour", "alb_lcu"),
    ]
    if res.after.get("internal") is not True:
        subnets = res.after.get("subnets")
        nodes = len(subnets) if isinstance(subnets, list) and subnets else rules.az_count
        terms.append(Term(nodes * rules.hours, "public-ipv4:hour", f"{nodes} public IPv4 (one per AZ)"))
    return terms, ""


def db_instance(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    sources = referenced(rules.view, res, "replicate_source_db", "aws_db_instance")
    replica = bool(
        res.after.get("replicate_source_db") or res.after_unknown.get("replicate_source_db") or sources
    )
    source = sources[0] if sources else None
    engine = res.after.get("engine") or (source.after.get("engine") if source else None)
    klass = res.after.get("instance_class")
    if not engine or not klass:
        raise NotPricedError("engine or instance_class unknown until apply")
    multi = "multi-az" if res.after.get("multi_az") is True else "single-az"
    storage = number(res.after.get("allocated_storage"))
    if storage is None and source is not None:
        storage = number(source.after.get("allocated_storage"))
    on_demand = f"rds-{engine}:{klass}:{multi}:hour"
    reserved = f"rds-{engine}:{klass}:{multi}:{RESERVED}:hour"
    single = f"rds-{engine}:{klass}:single-az:hour" if multi == "multi-az" else None
    use = InstanceUse(res.address, "rds", 1, on_demand, reserved, replica, single, storage or 0.0)
    rules.instances.append(use)
    on = rules.reserved.get("rds", False)
    terms = [Term(rules.hours, reserved if on else on_demand, f"{klass} {multi}{' reserved' if on else ''}")]
    terms.append(Term(storage or 0.0, f"rds:gp3:{multi}:gb-month", "allocated storage"))
    if res.after.get("manage_master_user_password") is True:
        terms.append(Term(1, "secretsmanager:secret-month", "master password secret RDS manages"))
    if not replica and (number(res.after.get("backup_retention_period")) or 0) > 0:
        terms.append(Term(rules.usage["rds_backup_extra_gb"], "rds:backup:gb-month", "rds_backup_extra_gb"))
    retention = number(res.after.get("performance_insights_retention_period")) or 0
    if res.after.get("performance_insights_enabled") is True and retention > 7:
        vcpus = rules.table.vcpus.get(str(klass))
        if vcpus is None:
            raise NotPricedError(f"no vCPU count for {klass} in [vcpus] (Performance Insights)")
        months = round(retention / 31)
        terms.append(
            Term(vcpus * months, "rds:performance-insights:vcpu-month", f"{vcpus} vCPU x {months} months")
        )
    return terms, "read replica: storage as its source" if replica else ""


def elasticache_group(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    node_type = res.after.get("node_type")
    groups, replicas = (
        number(res.after.get("num_node_groups")),
        number(res.after.get("replicas_per_node_group")),
    )
    nodes = number(res.after.get("num_cache_clusters")) or number(res.after.get("num_cache_nodes"))
    if groups and replicas is not None:
        nodes = groups * (replicas + 1)
    if not node_type or not nodes:
        raise NotPricedError("node_type or the number of nodes unknown until apply")
    on_demand, reserved = f"elasticache:{node_type}:hour", f"elasticache:{node_type}:{RESERVED}:hour"
    rules.instances.append(InstanceUse(res.address, "elasticache", nodes, on_demand, reserved))
    on = rules.reserved.get("elasticache", False)
    label = f"{nodes:g} x {node_type}{' reserved' if on else ''}"
    return [Term(nodes * rules.hours, reserved if on else on_demand, label)], "snapshot storage not counted"


def elasticache_cluster(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    if res.after.get("replication_group_id") or res.after_unknown.get("replication_group_id"):
        return [], "a member of a replication group, priced there"
    return elasticache_group(rules, res)


def efs(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    terms = [Term(rules.usage["efs_gb"], "efs:standard:gb-month", "efs_gb")]
    mode = res.after.get("throughput_mode") or "bursting"
    if mode == "elastic":
        terms.append(Term(rules.usage["efs_read_gb"], "efs:elastic-read:gb", "efs_read_gb"))
        terms.append(Term(rules.usage["efs_write_gb"], "efs:elastic-write:gb", "efs_write_gb"))
    elif mode == "provisioned":
        terms.append(
            Term(
                number(res.after.get("provisioned_throughput_in_mibps")) or 0,
                "efs:provisioned:mibps-month",
                "provisioned",
            )
        )
    return terms, f"{mode} throughput; lifecycle to Infrequent Access not counted"
