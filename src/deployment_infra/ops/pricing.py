"""The price table of a region (cost/prices-<region>.toml): loaded and validated in one pass.

Every problem is one line naming the file and the entry (missing field, negative price, unknown
unit, unknown usage key), raised as a PriceTableError: bad input, exit 2.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from deployment_infra import tomlfile
from deployment_infra.errors import UsageError

PRICES_DIR = "cost"

# What a price is per; a price is USD for one of these.
UNITS = frozenset(
    {
        "hour",
        "gb",
        "gb-hour",
        "vcpu-hour",
        "lcu-hour",
        "gb-month",
        "gb-second",
        "vcpu-month",
        "zone-month",
        "instance-month",
        "alarm-month",
        "metric-month",
        "key-month",
        "secret-month",
        "parameter-month",
        "budget-day",
        "10k-requests",
        "million-requests",
    }
)

# Usage the plan cannot know, per month: key -> (unit, meaning). Printed with every report.
USAGE: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "nat_gb": ("GB", "data processed by all NAT gateways together"),
        "alb_lcu": ("LCU", "average load balancer capacity units per application load balancer"),
        "log_ingest_gb": ("GB", "ingested into each log group"),
        "flow_log_ingest_gb": ("GB", "ingested into each log group a VPC flow log writes to"),
        "log_storage_ratio": (
            "ratio",
            "stored (compressed) size of a log as a fraction of its ingested size",
        ),
        "container_insights_metrics": ("metrics", "Container Insights metrics per cluster that has it on"),
        "container_insights_gb": ("GB", "Container Insights performance events ingested per cluster"),
        "s3_gb": ("GB", "stored in each S3 bucket"),
        "efs_gb": ("GB", "stored in each EFS file system"),
        "efs_read_gb": ("GB", "read from each EFS file system in elastic throughput mode"),
        "efs_write_gb": ("GB", "written to each EFS file system in elastic throughput mode"),
        "ecr_gb": ("GB", "of images in each ECR repository"),
        "backup_efs_gb": ("GB", "of EFS recovery points in each backup vault"),
        "backup_rds_gb": ("GB", "of RDS snapshots and continuous backup in each backup vault"),
        "rds_backup_extra_gb": (
            "GB",
            "of RDS automated backups beyond the free 100% of storage, per primary",
        ),
        "cdn_gb_out": ("GB", "served to viewers by each CloudFront distribution"),
        "cdn_requests_10k": ("10k requests", "HTTPS requests to each distribution, in ten thousands"),
        "cdn_log_gb": ("GB", "of access logs each log delivery writes"),
        "vpce_gb": ("GB", "processed by each interface VPC endpoint"),
        "lambda_invocations": ("invocations", "per Lambda function"),
        "lambda_seconds": ("s", "average duration of a Lambda invocation"),
        "cloudmap_instances": ("instances", "registered in each Cloud Map service"),
    }
)

_TABLE_FIELDS = {"region": str, "location": str, "as_of": dt.date, "source": str, "currency": str}
_PRICE_FIELDS = frozenset({"usd", "unit", "verified", "note", "free"})
_TOP_LEVEL = frozenset({"table", "prices", "vcpus", "usage"})
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]\Z")
# "<kind>:<what>..." pairs that must not cost more than the on-demand price they stand for.
_CHEAPER_THAN = (
    (re.compile(r"^fargate-spot:(.+)$"), r"fargate:\1"),
    (re.compile(r"^(.+):reserved-1y-no-upfront:(.+)$"), r"\1:\2"),
)


class PriceTableError(UsageError):
    """The price table is missing or invalid."""


class MissingPriceError(LookupError):
    """The table has no entry for a price the plan needs."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Price:
    """USD per one `unit`; `free` units a month cost nothing (e.g. the first two budgets)."""

    key: str
    usd: float
    unit: str
    verified: bool
    note: str = ""
    free: float = 0.0


@dataclass(frozen=True)
class PriceTable:
    path: Path
    region: str
    location: str
    as_of: dt.date
    source: str
    currency: str
    hours_per_month: float
    prices: Mapping[str, Price]
    vcpus: Mapping[str, int]
    usage: Mapping[str, Mapping[str, float]]

    def price(self, key: str) -> Price:
        try:
            return self.prices[key]
        except KeyError:
            raise MissingPriceError(key) from None

    def usage_for(self, env: str) -> tuple[dict[str, float], str]:
        """[usage.default] overridden by [usage.<env>], and which sections those were."""
        values = dict(self.usage["default"])
        if env in self.usage and env != "default":
            values.update(self.usage[env])
            return values, f"[usage.default] + [usage.{env}]"
        return values, f"[usage.default] (no [usage.{env}] section)"

    @property
    def unverified(self) -> int:
        return sum(not p.verified for p in self.prices.values())

    def provenance(self) -> str:
        """The line every report carries: date, source, and whether anyone checked."""
        checked = (
            f"not verified online ({self.unverified} of {len(self.prices)} entries unverified)"
            if self.unverified
            else "every entry verified"
        )
        return f"prices as of {self.as_of.isoformat()} from {self.source}, {checked}"


def table_path(root: Path, region: str) -> Path:
    return root / PRICES_DIR / f"prices-{region}.toml"


def load_for_region(root: Path, region: str) -> PriceTable:
    path = table_path(root, region)
    if not path.is_file():
        raise PriceTableError(f"{path}: no price table for region {region} (see docs/cost.md)")
    return load(path)


def load(path: Path) -> PriceTable:
    return parse(tomlfile.read(path, "price table", PriceTableError), path)


def parse(raw: Mapping[str, Any], path: Path) -> PriceTable:
    """Validate a parsed table; `path` only names the file in errors."""

    def fail(message: str) -> PriceTableError:
        return PriceTableError(f"{path}: {message}")

    unknown = sorted(set(raw) - _TOP_LEVEL)
    if unknown:
        raise fail(f"unknown section {unknown[0]!r} (known: {', '.join(sorted(_TOP_LEVEL))})")
    header = _section(raw, "table", fail)
    for name, kind in _TABLE_FIELDS.items():
        value = header.get(name)
        if value is None:
            raise fail(f"[table] is missing {name!r}")
        if not isinstance(value, kind) or (kind is dt.date and isinstance(value, dt.datetime)):
            expected = "a date (YYYY-MM-DD, unquoted)" if kind is dt.date else "a string"
            raise fail(f"[table].{name} must be {expected}")
        if isinstance(value, str) and not value.strip():
            raise fail(f"[table].{name} is empty")
    if not _REGION.match(header["region"]):
        raise fail(f"[table].region {header['region']!r} is not a region name")
    if header["currency"] != "USD":
        raise fail(f"[table].currency must be 'USD', not {header['currency']!r}")
    hours = _number(header.get("hours_per_month"), "[table].hours_per_month", fail)
    if not 0 < hours <= 744:
        raise fail(f"[table].hours_per_month must be above 0 and at most 744, not {hours:g}")
    prices = {key: _price(key, entry, fail) for key, entry in _section(raw, "prices", fail).items()}
    if not prices:
        raise fail("[prices] is empty")
    _check_cheaper(prices, fail)
    vcpus: dict[str, int] = {}
    for name, count in _section(raw, "vcpus", fail, required=False).items():
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise fail(f'vcpus."{name}" must be a whole number of vCPUs above 0')
        vcpus[name] = count
    usage = _usage(_section(raw, "usage", fail), fail)
    return PriceTable(
        path=path,
        region=header["region"],
        location=header["location"],
        as_of=header["as_of"],
        source=header["source"],
        currency=header["currency"],
        hours_per_month=hours,
        prices=MappingProxyType(prices),
        vcpus=MappingProxyType(vcpus),
        usage=MappingProxyType(usage),
    )


def _section(raw: Mapping[str, Any], name: str, fail: Any, *, required: bool = True) -> Mapping[str, Any]:
    value = raw.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise fail(f"[{name}] is missing" if value is None else f"[{name}] must be a table")
    return value


def _number(value: Any, where: str, fail: Any) -> float:
    if value is None:
        raise fail(f"{where} is missing")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise fail(f"{where} must be a number, not {value!r}")
    if value < 0:
        raise fail(f"{where} is negative ({value:g})")
    return float(value)


def _price(key: str, entry: Any, fail: Any) -> Price:
    where = f'prices."{key}"'
    if not isinstance(entry, dict):
        raise fail(f"{where} must be a table {{ usd = ..., unit = ..., verified = ... }}")
    extra = sorted(set(entry) - _PRICE_FIELDS)
    if extra:
        raise fail(f"{where} has unknown field {extra[0]!r} (known: {', '.join(sorted(_PRICE_FIELDS))})")
    for name in ("usd", "unit", "verified"):
        if name not in entry:
            raise fail(f"{where} is missing {name!r}")
    usd = _number(entry["usd"], f"{where}.usd", fail)
    unit = entry["unit"]
    if unit not in UNITS:
        raise fail(f"{where} has unknown unit {unit!r} (known: {', '.join(sorted(UNITS))})")
    if not isinstance(entry["verified"], bool):
        raise fail(f"{where}.verified must be true or false")
    note = entry.get("note", "")
    if not isinstance(note, str):
        raise fail(f"{where}.note must be a string")
    free = _number(entry.get("free", 0), f"{where}.free", fail)
    return Price(key=key, usd=usd, unit=unit, verified=entry["verified"], note=note, free=free)


def _check_cheaper(prices: Mapping[str, Price], fail: Any) -> None:
    """A spot or reserved rate above its on-demand rate would turn a saving into a loss: refuse it."""
    for key, price in prices.items():
        for pattern, replacement in _CHEAPER_THAN:
            if not pattern.match(key):
                continue
            base = prices.get(pattern.sub(replacement, key))
            if base is not None and price.usd > base.usd:
                raise fail(f'prices."{key}" ({price.usd:g}) is above its on-demand price "{base.key}"')


def _usage(raw: Mapping[str, Any], fail: Any) -> dict[str, Mapping[str, float]]:
    if "default" not in raw:
        raise fail("[usage.default] is missing")
    sections: dict[str, Mapping[str, float]] = {}
    for env, values in raw.items():
        if not isinstance(values, dict):
            raise fail(f"[usage.{env}] must be a table")
        parsed: dict[str, float] = {}
        for key, value in values.items():
            if key not in USAGE:
                raise fail(f"[usage.{env}] has unknown key {key!r} (known: {', '.join(sorted(USAGE))})")
            parsed[key] = _number(value, f"[usage.{env}].{key}", fail)
        sections[env] = MappingProxyType(parsed)
    missing = sorted(set(USAGE) - set(sections["default"]))
    if missing:
        raise fail(f"[usage.default] is missing {missing[0]!r} (it must set every usage key)")
    if sections["default"]["log_storage_ratio"] > 1 or any(
        s.get("log_storage_ratio", 0) > 1 for s in sections.values()
    ):
        raise fail("log_storage_ratio must be at most 1 (stored logs are compressed)")
    return sections
