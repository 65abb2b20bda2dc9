"""`infra docs data-flows`: where each environment keeps data, who can read it, where it is copied,
and on which transfer register entry (NDPA 2023) each of those rests, from the environments' plans.

Pure: plan JSONs and the policy context in, a Markdown document out (rendered by
data_flows_render.py). Only what the configuration fixes is used (addresses, types, tags, provider
regions, references, names), never ARNs, ids or timestamps, so an environment planned fresh and
one already applied give the same document. Stores, locations, classes and copy paths are the
policy gate's own (policy/locations.py, policy/copy_paths.py, policy/residency_checks.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from deployment_infra import transfers
from deployment_infra.ops.data_flows_access import AccessAnalysis, StoreAccess
from deployment_infra.ops.data_flows_refs import Configuration, Reach, expression, references, short
from deployment_infra.ops.data_flows_render import Sources, document
from deployment_infra.policy.copy_paths import copy_paths
from deployment_infra.policy.locations import by_attribute, data_class, location_of
from deployment_infra.policy.model import PlanView, PolicyContext, Resource
from deployment_infra.policy.plan import build_view
from deployment_infra.policy.residency_checks import data_stores, needs

# Data store types AWS Backup can back up (a tag selection ignores the others).
BACKUP_TYPES = frozenset(
    {"aws_db_instance", "aws_rds_cluster", "aws_dynamodb_table", "aws_efs_file_system", "aws_s3_bucket"}
)


@dataclass(frozen=True, order=True)
class Entry:
    """What the register says for data held somewhere: the cell text and the entry relied on."""

    text: str
    entry_id: str | None = None


@dataclass(frozen=True, order=True)
class Copy:
    """Data of `source` copied by `via` to `destination` (a location), into `target` if in the plan."""

    source: str | None
    kind: str
    via: str
    destination: str | None
    target: str | None
    register: Entry
    why_unknown: str = ""


@dataclass(frozen=True)
class Store:
    address: str
    type: str
    service: str
    data_class: str | None
    class_why: str
    location: str | None
    location_why: str
    register: Entry
    access: StoreAccess
    copies: tuple[Copy, ...]


@dataclass(frozen=True, order=True)
class Edge:
    """A flow that is not a copy between stores: CDN origins and log deliveries."""

    source: str
    target: str  # a store address, or "" when the target is not a store
    label: str
    via: str = ""  # a control-plane resource the flow passes through (log delivery source)


@dataclass
class EnvFlows:
    name: str
    region: str | None
    stores: list[Store] = field(default_factory=list)
    distributions: list[str] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    control_plane: dict[str, list[str]] = field(default_factory=dict)  # location -> addresses
    loose_copies: list[Copy] = field(default_factory=list)  # copy paths without a store source
    notes: list[str] = field(default_factory=list)


def build_document(
    plans: Mapping[str, Mapping[str, Any]],
    ctx: PolicyContext,
    regions: Mapping[str, str | None],
    sources: Sources | None = None,
) -> str:
    """The Markdown document for `plans` (environment -> `terraform show -json` of its plan)."""
    envs = [analyse(name, plans[name], ctx, regions.get(name)) for name in sorted(plans)]
    return document(ctx, sources or Sources(), envs)


def register_entry(ctx: PolicyContext, klass: str, location: str, service: str) -> Entry:
    """The register's answer for personal data that needs an entry (needs() said so)."""
    found = transfers.find(ctx.transfers, klass, location, service, ctx.today)
    if found.current is not None:
        entry = found.current
        return Entry(f"{entry.id}, {entry.legal_basis.split(':', 1)[0]}", entry.id)
    if found.expired:
        entry = found.expired[-1]
        return Entry(f"EXPIRED: {entry.id} (on {entry.expires.isoformat()})", entry.id)
    return Entry("MISSING")


def why_not_needed(
    ctx: PolicyContext, klass: str | None, class_why: str, location: str | None, where: str
) -> Entry:
    """Why data needs no register entry (or why that cannot be told)."""
    if klass is None:
        return Entry(f"unresolved ({class_why})")
    if location is None:
        return Entry(f"unresolved (location: {where})")
    if klass not in ctx.personal_classes:
        return Entry("none needed (not personal)")
    if location in ctx.domestic_locations:
        return Entry("none needed (in Nigeria)")
    return Entry(f"MISSING: {klass} data may not be in {location} at all")


def _needed(ctx: PolicyContext, klass: str | None, location: str | None) -> bool:
    """needs()'s rule, for flows the gate does not list as copy paths (backups, local replicas)."""
    return (
        klass is not None
        and location is not None
        and klass in ctx.personal_classes
        and location not in ctx.domestic_locations
        and location in ctx.allowed_regions.get(klass, frozenset())
    )


def analyse(name: str, plan: Mapping[str, Any], ctx: PolicyContext, region: str | None) -> EnvFlows:
    """The data flows of one environment's plan."""
    view = build_view(plan)
    config = Configuration(plan, view)
    flows = EnvFlows(name, region)
    stores = dict(sorted((res.address, service) for res, service in data_stores(view)))
    access = AccessAnalysis(config, stores).run()
    needed = {(n.address, n.is_copy, n.location, n.klass, n.service) for n in needs(view, ctx)}

    copies: dict[str | None, list[Copy]] = {}
    for path in copy_paths(view):
        key = (path.address, True, path.destination, path.data_class, path.service)
        if key in needed and path.data_class is not None and path.destination is not None:
            entry = register_entry(ctx, path.data_class, path.destination, path.service)
        else:
            entry = why_not_needed(ctx, path.data_class, path.class_from, path.destination, path.why_unknown)
        target = path.address if path.address in stores and path.address != path.source else None
        copies.setdefault(path.source, []).append(
            Copy(path.source, path.kind, path.address, path.destination, target, entry, path.why_unknown)
        )
    for found in (*_backups(view, config, stores, ctx, flows), *_local_replicas(view, config, stores, ctx)):
        copies.setdefault(found.source, []).append(found)

    for address, service in stores.items():
        res = view.by_address[address]
        klass, class_why = data_class(res)
        location = location_of(res)
        where = res.region_error or "unknown"
        if (address, False, location, klass, service) in needed and klass is not None and location:
            entry = register_entry(ctx, klass, location, service)
        else:
            entry = why_not_needed(ctx, klass, class_why, location, where)
        flows.stores.append(
            Store(
                address,
                res.type,
                service,
                klass,
                class_why,
                location,
                where,
                entry,
                access[address],
                tuple(sorted(set(copies.get(address, [])))),
            )
        )
    flows.loose_copies = sorted(c for source, group in copies.items() if source not in stores for c in group)
    _edges(view, config, stores, flows)
    _managed_policies(view, flows)
    return flows


def _backups(
    view: PlanView, config: Configuration, stores: Mapping[str, str], ctx: PolicyContext, flows: EnvFlows
) -> Iterator[Copy]:
    """AWS Backup selections: every store they select is copied into the plan's vaults."""
    for selection in view.of_type("aws_backup_selection"):
        selected = {a for a in _follow(config, selection, ["resources"]).targets if a in stores}
        tags = selection.after.get("selection_tag")
        label: list[str] = []
        for raw in tags if isinstance(tags, list) else []:
            tag = raw if isinstance(raw, dict) else {}
            key, value = tag.get("key"), tag.get("value")
            if not (isinstance(key, str) and isinstance(value, str)) or tag.get("type") != "STRINGEQUALS":
                flows.notes.append(f"{short(selection.address)}: a selection tag the plan does not fix")
                continue
            label.append(f"{key}={value}")
            for address in stores:
                if view.by_address[address].type not in BACKUP_TYPES:
                    continue
                tagset = view.by_address[address].tags
                if tagset is not None and tagset.value(key) == value:
                    selected.add(address)
        vaults: dict[str, list[str]] = {}
        for plan_address in _follow(config, selection, ["plan_id"]).targets:
            backup_plan = view.by_address.get(plan_address)
            rules = backup_plan.after.get("rule") if backup_plan is not None else None
            for i, rule in enumerate(rules if isinstance(rules, list) else []):
                vault = by_attribute(view, "aws_backup_vault", "name", rule.get("target_vault_name"))
                if vault is None and backup_plan is not None:
                    found = _follow(config, backup_plan, ["rule", i, "target_vault_name"]).targets
                    vault = view.by_address.get(next(iter(found))) if len(found) == 1 else None
                vaults.setdefault(vault.address if vault else "", []).append(str(rule.get("rule_name")))
        for address in sorted(selected):
            res = view.by_address[address]
            klass, class_why = data_class(res)
            for vault_address, rule_names in sorted(vaults.items()):
                vault = view.by_address.get(vault_address)
                where = location_of(vault) if vault is not None else None
                kind = (
                    f"AWS Backup ({', '.join(label) or 'by resource'}; rules {', '.join(sorted(rule_names))})"
                )
                if _needed(ctx, klass, where) and klass and where:
                    entry = register_entry(ctx, klass, where, "backup")
                else:
                    entry = why_not_needed(ctx, klass, class_why, where, "its vault is not in this plan")
                yield Copy(address, kind, selection.address, where, vault_address or None, entry)


def _local_replicas(
    view: PlanView, config: Configuration, stores: Mapping[str, str], ctx: PolicyContext
) -> Iterator[Copy]:
    """Read replicas in their source's location (copy_paths lists only those elsewhere)."""
    for replica in view.of_type("aws_db_instance"):
        for source in _follow(config, replica, ["replicate_source_db"]).targets:
            origin = view.by_address.get(source)
            if origin is None or source not in stores or location_of(origin) != location_of(replica):
                continue
            klass, class_why = data_class(origin)
            where = location_of(replica)
            if _needed(ctx, klass, where) and klass and where:
                entry = register_entry(ctx, klass, where, "rds")
            else:
                entry = why_not_needed(ctx, klass, class_why, where, replica.region_error or "unknown")
            yield Copy(source, "RDS read replica", replica.address, where, replica.address, entry)


def _edges(view: PlanView, config: Configuration, stores: Mapping[str, str], flows: EnvFlows) -> None:
    for dist in view.of_type("aws_cloudfront_distribution"):
        flows.distributions.append(dist.address)
        origins = expression(dist.config, ["origin"])
        for i, _ in enumerate(origins if isinstance(origins, list) else []):
            reach = _follow(config, dist, ["origin", i, "domain_name"])
            named = sorted(a for a in reach.targets if a in stores)
            others = sorted(short(a) for a in reach.targets if a not in stores)
            for address in named:
                flows.edges.append(Edge(dist.address, address, "origin"))
            if not named:
                what = ", ".join(others) or "; ".join(reach.unresolved) or "not in this plan"
                flows.edges.append(Edge(dist.address, "", f"origin: {what}"))
        for address in _follow(config, dist, ["logging_config", 0, "bucket"]).targets:
            if address in stores:
                flows.edges.append(Edge(dist.address, address, "access logs"))
    for delivery in view.of_type("aws_cloudwatch_log_delivery"):
        for source in _follow(config, delivery, ["delivery_source_name"]).targets:
            origin = view.by_address.get(source)
            producers = _follow(config, origin, ["resource_arn"]).targets if origin is not None else {}
            for destination in _follow(config, delivery, ["delivery_destination_arn"]).targets:
                target = view.by_address.get(destination)
                if target is None:
                    continue
                path: list[str | int] = ["delivery_destination_configuration", 0, "destination_resource_arn"]
                for store in _follow(config, target, path).targets:
                    for producer in producers or {"": True}:
                        flows.edges.append(Edge(producer, store if store in stores else "", "logs", source))
    flows.edges.sort()
    for res in view.resources:
        location = location_of(res)
        if res.address not in stores and location is not None and location != flows.region:
            flows.control_plane.setdefault(location, []).append(res.address)
    for group in flows.control_plane.values():
        group.sort()


def _managed_policies(view: PlanView, flows: EnvFlows) -> None:
    """Roles given policies the plan does not hold (AWS managed): named, not analysed."""
    roles = {r.address: r for r in view.of_type("aws_iam_role")}
    for attachment in view.of_type("aws_iam_role_policy_attachment"):
        arn = attachment.after.get("policy_arn")
        if not isinstance(arn, str) or ":aws:policy/" not in arn:
            continue
        role_name = attachment.after.get("role")
        names = [r.after.get("name") for r in roles.values() if r.after.get("name") == role_name]
        who = str(names[0]) if names else short(attachment.address)
        flows.notes.append(
            f"{who}: AWS managed policy {arn.rsplit('/', 1)[-1]} (not in the plan, not analysed)"
        )
    flows.notes = sorted(set(flows.notes))


def _follow(config: Configuration, res: Resource, path: list[str | int]) -> Reach:
    return config.follow(res.module_address, references(expression(res.config, path)), res.index)
