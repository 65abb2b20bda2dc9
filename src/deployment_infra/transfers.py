"""The transfer register: every transfer of personal data out of Nigeria, with its legal basis.

Under the Nigeria Data Protection Act 2023 storing personal data outside Nigeria is a cross-border
transfer, lawful only on a basis of s.41 (adequate protection: law, binding corporate rules,
contractual clauses, codes of conduct, certification) or a derogation of s.43 (consent, contract
necessity, ...). Cape Town is outside Nigeria, so even the primary region needs an entry. The
register is data in the repo (residency/transfers.toml by default), validated on load; the policy
gate refuses a data store or copy path that needs an entry and has no current one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployment_infra import tomlfile
from deployment_infra.errors import SettingsError

# Services a transfer can name: where the data sits at the destination ("*": any of them).
SERVICES = frozenset(
    {
        "backup",
        "cloudfront",
        "dynamodb",
        "efs",
        "elasticache",
        "firehose",
        "kinesis",
        "lambda",
        "logs",
        "rds",
        "s3",
        "secretsmanager",
    }
)
ANY_SERVICE = "*"

_ID = re.compile(r"^[A-Z][A-Z0-9]*-[0-9]{3,}\Z")
# "s.41(1)(a): ..." or "s.43(1)(b): ..." — the section, then what the basis is in words.
_LEGAL_BASIS = re.compile(r"^s\.(41|43)(\(\d+\))?(\([a-z]\))?:\s*\S.*$")
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]\Z")  # \Z: "$" passes "x\n"
# A Local Zone id: its parent region, the metro code, a number and a letter (af-south-1-los-1a).
LOCAL_ZONE = re.compile(r"^([a-z]{2}(-gov)?-[a-z]+-[0-9])-[a-z]{3}-[0-9][a-z]\Z")
_FIELDS = frozenset(
    {"id", "data_class", "destination", "services", "legal_basis", "approver", "expires", "purpose"}
)


def is_location(value: str) -> bool:
    """A region name or a Local Zone id."""
    return bool(REGION.match(value) or LOCAL_ZONE.match(value))


@dataclass(frozen=True)
class Transfer:
    """One register entry: `data_class` data may be held in `destination` by `services`."""

    id: str
    data_class: str
    destination: str
    services: frozenset[str]
    legal_basis: str
    approver: str
    expires: dt.date
    purpose: str

    def covers(self, data_class: str, location: str, service: str) -> bool:
        """Whether this entry is about that data, place and service (expired or not)."""
        return (
            self.data_class == data_class
            and self.destination == location
            and (ANY_SERVICE in self.services or service in self.services)
        )

    def expired(self, today: dt.date) -> bool:
        """Valid through its `expires` day."""
        return today > self.expires

    def describe(self) -> str:
        return f"{self.id} ({self.data_class} -> {self.destination}, {self.legal_basis.split(':')[0]})"


@dataclass(frozen=True)
class Lookup:
    """The answer to "is this transfer registered?": a current entry, else the expired ones."""

    current: Transfer | None
    expired: tuple[Transfer, ...]


def find(
    transfers: Iterable[Transfer], data_class: str, location: str, service: str, today: dt.date
) -> Lookup:
    """A current entry covering (class, location, service), else every expired one that would."""
    expired: list[Transfer] = []
    for entry in transfers:
        if entry.covers(data_class, location, service):
            if not entry.expired(today):
                return Lookup(entry, ())
            expired.append(entry)
    return Lookup(None, tuple(expired))


def needed_entry(data_class: str, location: str, service: str) -> str:
    """How a report names the register entry that is missing."""
    return f"data_class={data_class} destination={location} service={service}"


def load(path: Path, allowed: Mapping[str, frozenset[str]]) -> tuple[Transfer, ...]:
    """Read and validate the register at `path` against the allow-list (class -> locations)."""
    raw = tomlfile.read(path, "transfer register (residency.register)", SettingsError)
    return parse(raw, allowed, str(path))


def parse(
    raw: Mapping[str, Any], allowed: Mapping[str, frozenset[str]], where: str = "register"
) -> tuple[Transfer, ...]:
    """Validate a parsed register document: `[[transfer]]` tables."""
    unknown = set(raw) - {"transfer"}
    if unknown:
        raise SettingsError(
            f"{where}: unknown top-level keys {', '.join(sorted(unknown))} (expected [[transfer]])"
        )
    entries = raw.get("transfer", [])
    if not isinstance(entries, list):
        raise SettingsError(f"{where}: `transfer` must be an array of tables ([[transfer]])")
    result: list[Transfer] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        transfer = _entry(entry, allowed, f"{where}: transfer #{position}")
        if transfer.id in seen:
            raise SettingsError(f"{where}: transfer id {transfer.id} is used twice")
        seen.add(transfer.id)
        result.append(transfer)
    return tuple(result)


def _entry(entry: Any, allowed: Mapping[str, frozenset[str]], where: str) -> Transfer:
    if not isinstance(entry, dict):
        raise SettingsError(f"{where} must be a table")
    extra = set(entry) - _FIELDS
    if extra:
        raise SettingsError(f"{where}: unknown keys {', '.join(sorted(extra))}")
    ident = _text(entry, "id", where)
    if not _ID.match(ident):
        raise SettingsError(f"{where}: id {ident!r} must look like TR-001")
    where = f"{where.split(': ', maxsplit=1)[0]}: transfer {ident}"
    data_class = _text(entry, "data_class", where)
    if data_class not in allowed:
        known = ", ".join(sorted(allowed))
        raise SettingsError(f"{where}: data_class {data_class!r} is not a data class (known: {known})")
    destination = _text(entry, "destination", where)
    if not is_location(destination):
        raise SettingsError(f"{where}: destination {destination!r} is not a region or Local Zone id")
    if destination not in allowed[data_class]:
        raise SettingsError(
            f"{where}: {data_class} data may not be in {destination} at all "
            f"(residency.allowed_regions.{data_class}); widen the allow-list first or drop the entry"
        )
    services = entry.get("services")
    if not isinstance(services, list) or not services or not all(isinstance(s, str) for s in services):
        raise SettingsError(f'{where}: services must be a non-empty list (e.g. ["rds", "s3"] or ["*"])')
    bad = sorted(set(services) - SERVICES - {ANY_SERVICE})
    if bad:
        raise SettingsError(
            f"{where}: unknown services {', '.join(bad)} (known: {', '.join(sorted(SERVICES))}, *)"
        )
    basis = _text(entry, "legal_basis", where)
    if not _LEGAL_BASIS.match(basis):
        raise SettingsError(
            f"{where}: legal_basis {basis!r} must name NDPA 2023 s.41 or s.43 and say what it is, "
            'e.g. "s.41(1)(a): standard contractual clauses (AWS DPA)"'
        )
    approver = _text(entry, "approver", where)
    expires = entry.get("expires")
    if isinstance(expires, dt.datetime) or not isinstance(expires, dt.date):
        raise SettingsError(f"{where}: expires must be a TOML date (expires = 2027-06-30)")
    purpose = entry.get("purpose", "")
    if not isinstance(purpose, str):
        raise SettingsError(f"{where}: purpose must be a string")
    return Transfer(ident, data_class, destination, frozenset(services), basis, approver, expires, purpose)


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"{where}: {key} must be a non-empty string")
    return value.strip()
