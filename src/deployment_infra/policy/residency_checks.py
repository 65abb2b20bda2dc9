"""Residency checks beyond RES-001/002: data stores classified and registered, copy paths allowed
and registered, register entries current (NDPA 2023 s.41/s.43 transfers; see transfers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from deployment_infra import transfers
from deployment_infra.policy.copy_paths import CopyPath, copy_paths
from deployment_infra.policy.locations import DATA_STORES, data_class, location_of
from deployment_infra.policy.model import DATA_CLASS_TAG, PlanView, PolicyContext, Resource, Violation


def _regions(values: frozenset[str]) -> str:
    return ", ".join(sorted(values)) or "(none)"


def data_stores(plan: PlanView) -> Iterator[tuple[Resource, str]]:
    """(resource, register service) for every data store of the plan."""
    for rtype, service in DATA_STORES.items():
        for res in plan.of_type(rtype):
            yield res, service


@dataclass(frozen=True)
class Need:
    """A transfer the plan makes: personal data of `klass` held in `location` by `service`."""

    is_copy: bool
    address: str
    what: str
    klass: str
    location: str
    service: str


def needs(plan: PlanView, ctx: PolicyContext) -> Iterator[Need]:
    """Every store and copy path that needs a register entry (personal data outside Nigeria, in
    an allowed location: RES-001/RES-006 report the rest)."""
    for res, service in data_stores(plan):
        value, _ = data_class(res)
        location = location_of(res)
        if value is None or location is None or location not in ctx.allowed_regions.get(value, ()):
            continue
        if value in ctx.personal_classes and location not in ctx.domestic_locations:
            yield Need(False, res.address, f"data store {res.address}", value, location, service)
    for path in copy_paths(plan):
        value, location = path.data_class, path.destination
        if value is None or location is None or location not in ctx.allowed_regions.get(value, ()):
            continue
        if value in ctx.personal_classes and location not in ctx.domestic_locations:
            yield Need(True, path.address, _path_label(path), value, location, path.service)


def _lookup(ctx: PolicyContext, need: Need) -> transfers.Lookup:
    return transfers.find(ctx.transfers, need.klass, need.location, need.service, ctx.today)


def _unregistered(ctx: PolicyContext, check_id: str, need: Need) -> Iterator[Violation]:
    found = _lookup(ctx, need)
    if found.current is None and not found.expired:
        needed = transfers.needed_entry(need.klass, need.location, need.service)
        yield Violation(
            check_id,
            need.address,
            f"{need.what}: {need.klass} data held in {need.location} is a cross-border transfer "
            f"(NDPA 2023) with no entry in the transfer register; add one for {needed} with its "
            "s.41/s.43 legal basis",
            needed,
        )


class StoreClassified:
    """RES-003: every data store carries a DataClassification of a known class."""

    id: str = "RES-003"
    title: str = f"Data stores carry a {DATA_CLASS_TAG} of a known data class"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        known = ", ".join(ctx.known_classes) or "(none)"
        for res, _ in data_stores(plan):
            value, why = data_class(res)
            if value is None:
                yield Violation(
                    self.id,
                    res.address,
                    f"data store {res.address}: {why}; set {DATA_CLASS_TAG} to one of {known}",
                )
            elif value not in ctx.allowed_regions:
                yield Violation(
                    self.id,
                    res.address,
                    f"data store {res.address}: {DATA_CLASS_TAG} {value!r} is not a known data class "
                    f"(known: {known})",
                )


class StoreRegistered:
    """RES-004: a personal data store outside Nigeria has a transfer register entry."""

    id: str = "RES-004"
    title: str = "Personal data stores outside Nigeria are in the transfer register"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        for need in needs(plan, ctx):
            if not need.is_copy:
                yield from _unregistered(ctx, self.id, need)


class RegisterCurrent:
    """RES-005: the register entries the plan relies on have not expired (found by RES-004/007)."""

    id: str = "RES-005"
    title: str = "Transfer register entries the plan relies on have not expired"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        for need in needs(plan, ctx):
            found = _lookup(ctx, need)
            if found.current is None and found.expired:
                entry = max(found.expired, key=lambda e: e.expires)  # the one to renew
                yield Violation(
                    self.id,
                    need.address,
                    f"{need.what}: transfer register entry {entry.describe()} expired on "
                    f"{entry.expires.isoformat()}; renew it (new expiry, approver) or move the data",
                    entry.id,
                )


def _path_label(path: CopyPath) -> str:
    source = f" of {path.source}" if path.source else ""
    return f"{path.kind}{source} by {path.address}"


class CopyAllowed:
    """RES-006: every copy or replication path goes only where its data class is allowed."""

    id: str = "RES-006"
    title: str = "Copies and replication go only to locations allowed for the data's class"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        for path in copy_paths(plan):
            label = _path_label(path)
            if path.destination is None:
                yield Violation(
                    self.id, path.address, f"{label}: cannot tell where it copies to: {path.why_unknown}"
                )
                continue
            if path.data_class is None or path.data_class not in ctx.allowed_regions:
                allowed = ctx.most_restrictive_regions
                why = f"data of unknown class ({path.class_from})"
            else:
                allowed = ctx.allowed_regions[path.data_class]
                why = f"{path.data_class} data (class from {path.class_from})"
            if path.destination not in allowed:
                yield Violation(
                    self.id,
                    path.address,
                    f"{label}: copies {why} to {path.destination}, allowed only in {_regions(allowed)}",
                )


class CopyRegistered:
    """RES-007: a copy of personal data to a place outside Nigeria has a register entry."""

    id: str = "RES-007"
    title: str = "Copies of personal data outside Nigeria are in the transfer register"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        for path in copy_paths(plan):
            if path.destination is None:
                continue  # RES-006 reports it
            label = _path_label(path)
            if path.data_class is None or path.data_class not in ctx.allowed_regions:
                if (
                    path.destination in ctx.most_restrictive_regions
                    and path.destination not in ctx.domestic_locations
                ):
                    yield Violation(
                        self.id,
                        path.address,
                        f"{label}: the data class is unknown ({path.class_from}), so it may be personal "
                        f"data leaving Nigeria for {path.destination}; classify the source",
                    )
                continue
        for need in needs(plan, ctx):
            if need.is_copy:
                yield from _unregistered(ctx, self.id, need)


RESIDENCY_CHECKS = (StoreClassified(), StoreRegistered(), RegisterCurrent(), CopyAllowed(), CopyRegistered())
