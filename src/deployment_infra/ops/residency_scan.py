"""The runtime residency scan: inventory every enabled region, judge each resource by its data class.

Rules (docs/runbooks/residency-finding.md):
- A resource's data class is its DataClassification tag; its allowed locations are the class's
  list in infra.toml `[residency.allowed_regions]`. Untagged, an unknown class, or tags that could
  not be read: the strictest list (the intersection of all classes' lists) applies, and the
  finding says why.
- Its location is its region, or the zone it sits in when that is a Local Zone (or another zone
  that is not an ordinary AZ of the region, e.g. Wavelength: "af-south-1-los-1a"). A location is
  allowed when the list names it; an ordinary AZ counts as its region.
- With an environment, resources tagged with another Environment are not judged; resources
  without an Environment tag (unattributed) are judged in every scan: fail closed.
- Global resources (ARNs without a region: IAM, CloudFront, Route 53) are not judged here; the plan
  gate holds them to their provider's region. S3 buckets are located with GetBucketLocation.
- A region or service that could not be listed is "not scanned" and fails the scan.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from deployment_infra.errors import InfraError, UsageError
from deployment_infra.ops import inventory
from deployment_infra.ops.inventory import Item, RegionContext
from deployment_infra.policy.model import DATA_CLASS_TAG
from deployment_infra.targets import Target, account_id

ENVIRONMENT_TAG = "Environment"
GLOBAL = "global"
DEFAULT_WORKERS = 12
_REGION_NAME = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}\Z")
Progress = Callable[[str], None]


# -- the verdict (pure) --------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """Data class -> allowed locations (regions, or zones such as "af-south-1-los-1a")."""

    allowed: Mapping[str, frozenset[str]]
    environment: str | None = None

    @property
    def strictest(self) -> frozenset[str]:
        """What every class allows; no classes configured: nothing (fail closed)."""
        lists = list(self.allowed.values())
        return frozenset.intersection(*lists) if lists else frozenset()


def location(region: str, zone: str | None) -> str:
    """Where a resource sits: the zone when it is not an ordinary AZ of its region, else the region."""
    if zone and zone.startswith(f"{region}-"):  # Local Zone / Wavelength: <region>-<metro>-...
        return zone
    return region  # no zone, an ordinary AZ (<region><letter>), or a non-zone value ("Multiple")


@dataclass(frozen=True)
class Judgement:
    item: Item
    location: str
    data_class: str | None  # the tag's value as found (may not be a known class)
    allowed: frozenset[str]  # the list applied
    passed: bool
    why: str
    in_scope: bool = True  # False: tagged with another environment, not judged
    environment: str | None = None  # the Environment tag, None if absent or unreadable

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.item.region,
            "location": self.location,
            "zone": self.item.zone,
            "service": self.item.service,
            "resource": self.item.arn,
            "class": self.data_class,
            "environment": self.environment,
            "tags": None if self.item.tags is None else dict(self.item.tags),
            "allowed": sorted(self.allowed),
            "why": self.why,
        }


def _listed(regions: Iterable[str]) -> str:
    return ", ".join(sorted(regions)) or "(none)"


def judge(item: Item, rules: Rules) -> Judgement:
    """Is `item` where its data class may be? Pure: the scan's whole policy."""
    tags = item.tags
    environment = None if tags is None else tags.get(ENVIRONMENT_TAG) or None
    where = location(item.region, item.zone)
    if rules.environment is not None and environment is not None and environment != rules.environment:
        return Judgement(item, where, None, frozenset(), True, "another environment", False, environment)
    value = None if tags is None else tags.get(DATA_CLASS_TAG) or None
    strict = f"so the strictest list applies: {_listed(rules.strictest)}"
    if tags is None:
        allowed, why = rules.strictest, f"its tags could not be read ({item.tags_error}), {strict}"
    elif value is None:
        allowed, why = rules.strictest, f"no {DATA_CLASS_TAG} tag, {strict}"
    elif value not in rules.allowed:
        known = _listed(rules.allowed)
        allowed, why = (
            rules.strictest,
            f"{DATA_CLASS_TAG} {value!r} is not a data class (known: {known}), {strict}",
        )
    else:
        allowed, why = (
            rules.allowed[value],
            f"{value} data is allowed only in {_listed(rules.allowed[value])}",
        )
    if where != item.region:
        why = f"in zone {where}, not an ordinary AZ of {item.region}; {why}"
    if rules.environment is not None and environment is None:
        why += f"; no {ENVIRONMENT_TAG} tag, so it is judged in every scan"
    passed = where in allowed
    return Judgement(item, where, value, allowed, passed, "" if passed else why, True, environment)


def parse_regions(text: str | None) -> list[str] | None:
    """`--regions a,b`: region names, validated and de-duplicated (UsageError otherwise)."""
    if text is None:
        return None
    names = [n.strip() for n in text.split(",")]
    bad = [n for n in names if not _REGION_NAME.match(n)]
    if bad or not names:
        shown = ", ".join(repr(n) for n in bad) or "(empty)"
        raise UsageError(
            f"--regions: {shown} is not an AWS region name (e.g. --regions af-south-1,eu-west-1)"
        )
    return list(dict.fromkeys(names))


def select_regions(enabled: Sequence[str], requested: Sequence[str] | None) -> list[str]:
    """The regions to scan: all enabled ones, or those requested (each must be enabled)."""
    if requested is None:
        return sorted(enabled)
    unknown = [r for r in requested if r not in enabled]
    if unknown:
        raise UsageError(
            f"--regions: {', '.join(unknown)} not enabled in this account; "
            f"enabled: {', '.join(sorted(enabled))}"
        )
    return list(requested)


def service_absent(exc: Exception, service: str, region: str) -> bool:
    """An unreachable endpoint of a service botocore says is not offered in the region: nothing
    can exist there, so it is not a gap. Anything else unreachable is one (fail closed)."""
    if not isinstance(exc, EndpointConnectionError):
        return False
    offered = boto3.session.Session().get_available_regions(
        service, partition_name=inventory.partition(region)
    )
    return region not in offered


# -- the scan --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    region: str
    service: str
    reason: str

    def __str__(self) -> str:
        return f"not scanned: {self.region} {self.service}: {self.reason}"

    def to_dict(self) -> dict[str, str]:
        return {"region": self.region, "service": self.service, "reason": self.reason}


@dataclass
class ScanReport:
    target: str
    environment: str | None
    regions_scanned: list[str]
    findings: list[Judgement] = field(default_factory=list)
    not_scanned: list[Gap] = field(default_factory=list)
    inventoried: int = 0
    other_environment: int = 0
    global_not_judged: int = 0
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.findings and not self.not_scanned

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "environment": self.environment,
            "regions_scanned": self.regions_scanned,
            "findings": [f.to_dict() for f in self.findings],
            "not_scanned": [g.to_dict() for g in self.not_scanned],
            "passed": self.passed,
            "inventoried": self.inventoried,
            "not_judged": {"other_environment": self.other_environment, "global": self.global_not_judged},
            "seconds": round(self.seconds, 2),
        }


class _Clients:
    """The target's clients, made one at a time: boto3's default session is not thread-safe."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], Any] = {}

    def __call__(self, service: str, region: str) -> Any:
        with self._lock:
            key = (service, region)
            if key not in self._cache:
                self._cache[key] = self._target.client(service, region)
            return self._cache[key]


@dataclass
class _RegionResult:
    region: str
    items: list[Item]
    gaps: list[Gap]
    global_arns: set[str]
    seconds: float


def _scan_region(clients: _Clients, region: str, account: str) -> _RegionResult:
    start = time.monotonic()
    ctx = RegionContext(region, account, lambda service: clients(service, region))
    gaps: list[Gap] = []
    tagged: dict[str, dict[str, str]] = {}
    try:
        tagged = inventory.tagged_resources(ctx)
    except (ClientError, BotoCoreError) as exc:
        if not service_absent(exc, "resourcegroupstaggingapi", region):
            gaps.append(Gap(region, "tagging", inventory.error_text(exc)))
    ctx.known_tags = {inventory.arn_key(arn): tags for arn, tags in tagged.items()}
    found: dict[str, Item] = {}  # arn_key -> item: a lister's view wins over the tagging API's
    for label, lister in inventory.REGIONAL_LISTERS:
        try:
            listed = lister(ctx)
        except (ClientError, BotoCoreError) as exc:
            if not service_absent(exc, label.split()[0], region):
                gaps.append(Gap(region, label, inventory.error_text(exc)))
            continue
        except Exception as exc:  # an answer without a field we read: a gap, not a clean listing
            gaps.append(Gap(region, label, f"unexpected answer: {type(exc).__name__}: {exc}"))
            continue
        for item in listed:
            found.setdefault(inventory.arn_key(item.arn), item)
    global_arns: set[str] = set()
    for arn, tags in tagged.items():
        key, arn_region = inventory.arn_key(arn), inventory.arn_region(arn)
        if not arn_region:
            if inventory.arn_service(arn) != "s3":  # buckets are located one by one
                global_arns.add(arn)
        elif arn_region == region and key not in found and key not in ctx.ignored:
            found[key] = Item(region, inventory.arn_service(arn), arn, tags)
    return _RegionResult(region, list(found.values()), gaps, global_arns, time.monotonic() - start)


def enabled_regions(target: Target, home_region: str) -> list[str]:
    try:
        answer = target.client("ec2", home_region).describe_regions(AllRegions=False)
    except (ClientError, BotoCoreError) as exc:
        raise InfraError(
            f"cannot list the account's regions ({target.name}): {inventory.error_text(exc)}"
        ) from None
    return sorted(r["RegionName"] for r in answer.get("Regions") or [])


def scan(
    target: Target,
    rules: Rules,
    home_region: str,
    requested: Sequence[str] | None = None,
    *,
    enabled: Sequence[str] | None = None,
    workers: int = DEFAULT_WORKERS,
    progress: Progress = lambda _m: None,
) -> ScanReport:
    """Inventory the regions (all `enabled` ones, read from EC2 when not given, unless `requested`)
    and judge everything found."""
    started = time.monotonic()
    if enabled is None:
        enabled = enabled_regions(target, home_region)
    regions = select_regions(enabled, requested)
    account = account_id(target, home_region)
    clients = _Clients(target)
    report = ScanReport(target.name, rules.environment, regions)
    items: list[Item] = []
    global_arns: set[str] = set()
    progress(f"scanning {len(regions)} region(s) of account {account} on {target.name}, {workers} at a time")
    try:
        buckets = inventory.bucket_names(clients("s3", home_region))
    except (ClientError, BotoCoreError) as exc:
        buckets = []
        report.not_scanned.append(Gap(GLOBAL, "s3", inventory.error_text(exc)))
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="residency") as pool:
        by_region = {pool.submit(_scan_region, clients, r, account): r for r in regions}
        by_bucket: dict[Future[Item], str] = {
            pool.submit(inventory.s3_bucket, b, clients, home_region): b for b in buckets
        }
        done = 0
        for future in as_completed(by_region):
            done += 1
            try:
                result = future.result()
            except Exception as exc:  # a bug in a lister must not pass as a clean region
                report.not_scanned.append(Gap(by_region[future], "all", f"{type(exc).__name__}: {exc}"))
                continue
            items += result.items
            report.not_scanned += result.gaps
            global_arns |= result.global_arns
            gaps = f", {len(result.gaps)} not scanned" if result.gaps else ""
            found = f"{len(result.items)} resource(s){gaps}"
            progress(f"[{done}/{len(regions)}] {result.region}: {found} ({result.seconds:.1f}s)")
        for located in as_completed(by_bucket):
            try:
                bucket = located.result()
            except (ClientError, BotoCoreError) as exc:
                report.not_scanned.append(
                    Gap(GLOBAL, "s3", f"bucket {by_bucket[located]}: {inventory.error_text(exc)}")
                )
                continue
            if requested is None or bucket.region in regions:
                items.append(bucket)
    _judge_all(report, items, rules)
    report.global_not_judged = len(global_arns)
    report.not_scanned.sort(key=lambda g: (g.region, g.service, g.reason))
    report.seconds = time.monotonic() - started
    return report


def _judge_all(report: ScanReport, items: Iterable[Item], rules: Rules) -> None:
    for item in items:
        report.inventoried += 1
        verdict = judge(item, rules)
        if not verdict.in_scope:
            report.other_environment += 1
        elif not verdict.passed:
            report.findings.append(verdict)
    report.findings.sort(key=lambda j: (j.item.region, j.item.service, j.item.arn))
