"""Data types of the policy gate: violations, the policy context and the indexed plan view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from deployment_infra.transfers import Transfer

if TYPE_CHECKING:
    from deployment_infra.settings import Settings

DATA_CLASS_TAG = "DataClassification"

# Resource index keys: int for count, str for for_each, None for a single instance.
IndexKey = int | str | None


@dataclass(frozen=True, order=True)
class Violation:
    """One policy failure; ordering (check id, address, message) is the report order.

    `register_entry` names the transfer register entry the resource needed (residency checks),
    as `data_class=... destination=... service=...`, or the expired entry's id.
    """

    check_id: str
    address: str
    message: str
    register_entry: str = ""

    def to_dict(self) -> dict[str, str]:
        found = {"check_id": self.check_id, "address": self.address, "message": self.message}
        if self.register_entry:
            found["register_entry"] = self.register_entry
        return found


@dataclass(frozen=True)
class PolicyContext:
    """What the checks enforce: data class -> allowed regions, required tag keys, and the
    environment being planned (None when unknown: environment rules then apply at their
    strictest, as for a protected, highly available environment)."""

    allowed_regions: Mapping[str, frozenset[str]]
    required_tags: tuple[str, ...]
    project: str = ""
    environments: frozenset[str] = frozenset()
    environment: str | None = None
    protected: bool = True
    highly_available: bool = True
    # Residency: NDPA personal classes, locations inside Nigeria, the transfer register, and the
    # day register expiry is judged on (a field, so checks stay pure and tests can move it).
    personal_classes: frozenset[str] = frozenset({"personal", "sensitive-personal"})
    domestic_locations: frozenset[str] = frozenset({"af-south-1-los-1a"})
    transfers: tuple[Transfer, ...] = ()
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())
    never_cache_paths: tuple[str, ...] = ("/api/*", "/auth/*")

    @classmethod
    def from_settings(cls, settings: Settings, environment: str | None = None) -> PolicyContext:
        """The context for `environment` of `settings` (a UsageError names the valid ones)."""
        allowed = {name: frozenset(regions) for name, regions in settings.allowed_regions.items()}
        env = settings.environment(environment) if environment is not None else None
        return cls(
            allowed_regions=MappingProxyType(allowed),
            required_tags=tuple(settings.required_tags),
            project=settings.project,
            environments=frozenset(settings.environments),
            environment=environment,
            protected=env.protected if env is not None else True,
            highly_available=env.highly_available if env is not None else True,
            personal_classes=settings.personal_classes,
            domestic_locations=settings.domestic_locations,
            transfers=settings.transfers,
            never_cache_paths=settings.never_cache_paths,
        )

    @property
    def known_classes(self) -> tuple[str, ...]:
        return tuple(sorted(self.allowed_regions))

    @property
    def most_restrictive_regions(self) -> frozenset[str]:
        """Regions allowed for every data class; what an unclassified resource may use."""
        sets = list(self.allowed_regions.values())
        if not sets:
            return frozenset()  # no classes configured: nothing is allowed (fail closed)
        return frozenset.intersection(*sets)


@dataclass(slots=True)
class TagSet:
    """The tags a resource will carry after apply, as far as the plan tells.

    `values` is the tag map as the plan has it (values other than strings count as absent);
    `unknown` holds keys whose values are known only after apply; `complete` is False when
    the plan cannot tell which keys there will be at all. Read-only by convention.
    """

    values: Mapping[str, Any]
    unknown: frozenset[str] = frozenset()
    complete: bool = True

    def value(self, key: str) -> str | None:
        """The known string value of tag `key`, or None."""
        found = self.values.get(key)
        return found if isinstance(found, str) and key not in self.unknown else None


# Not frozen: frozen dataclasses are ~2.5x slower to build, and a plan has up to 1e5 of these.
@dataclass(slots=True)
class Resource:
    """A managed resource instance that will exist after apply. Read-only by convention."""

    address: str
    module_address: str  # module instance path, "" for the root module
    type: str
    name: str
    index: IndexKey
    provider_name: str
    provider_key: str | None  # key into configuration.provider_config, None if not found
    after: Mapping[str, Any]
    after_unknown: Mapping[str, Any]
    config: Mapping[str, Any] | None  # the configuration block of the resource, None if not found
    region: str | None
    region_error: str | None  # why region is None; both None: a local-only provider, no region
    tags: TagSet | None  # None: the resource type takes no tags

    @property
    def config_address(self) -> str:
        """Address relative to its module, without index: "aws_s3_bucket.logs"."""
        return f"{self.type}.{self.name}"


@dataclass(frozen=True)
class PlanView:
    """A plan indexed once for the checks: live managed resources, by address and by type."""

    resources: tuple[Resource, ...]
    by_address: Mapping[str, Resource] = field(repr=False)
    by_type: Mapping[str, tuple[Resource, ...]] = field(repr=False)

    @classmethod
    def of(cls, resources: Iterable[Resource]) -> PlanView:
        items = tuple(resources)
        grouped: dict[str, list[Resource]] = {}
        for res in items:
            grouped.setdefault(res.type, []).append(res)
        return cls(
            resources=items,
            by_address={res.address: res for res in items},
            by_type={kind: tuple(group) for kind, group in grouped.items()},
        )

    def of_type(self, resource_type: str) -> Sequence[Resource]:
        return self.by_type.get(resource_type, ())


class PolicyCheck(Protocol):
    """A check: a stable id, a title, and a pure evaluation over the plan."""

    id: str
    title: str

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterable[Violation]: ...
