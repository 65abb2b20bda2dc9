"""Security findings, and the one rule that turns them into a verdict.

Every scanner's output becomes `Finding`s with a severity on one scale (low < medium < high <
critical). `evaluate` sorts them: below the scanner's threshold; suppressed by an active, reasoned
entry of ci/security.toml; accepted by a reviewed baseline; or blocking. The stage fails iff
anything blocks. An expired suppression no longer suppresses and is reported itself.

ci/security.toml (every key optional; a malformed file is bad input, never a silent default):

    threshold = "high"                   # a finding at or above this blocks
    [scanner.bandit]
    threshold = "medium"                 # per-scanner override
    [scanner.checkov]
    default_severity = "high"            # rules outside the map (checkov offline gives none)
    severity = { CKV_AWS_145 = "high" }
    [scanner.detect-secrets]
    baseline = "secrets.baseline"        # reviewed baseline, relative to ci/
    [[suppress]]
    scanner = "bandit"
    rule = "B310"                        # a rule id, or "*" for every rule of the scanner
    path = "src/x.py"                    # fnmatch glob over the finding's location (* crosses /)
    reason = "why this is safe"          # required
    expires = 2027-06-30                 # optional TOML date; after it the entry stops suppressing
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from deployment_infra import tomlfile
from deployment_infra.errors import UsageError

Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high", "critical")
SCANNERS = ("detect-secrets", "npm-audit", "pip-audit", "checkov", "bandit")
DEFAULT_THRESHOLD: Severity = "high"

# each scanner's vocabulary on our scale (npm says "moderate", bandit "MEDIUM", some say "info")
_ALIASES: dict[str, Severity] = {
    "info": "low",
    "informational": "low",
    "low": "low",
    "moderate": "medium",
    "medium": "medium",
    "high": "high",
    "critical": "critical",
}


def normalize(word: str) -> Severity | None:
    """A scanner's severity word on our scale; None when it is not one we know."""
    return _ALIASES.get(word.strip().lower())


def rank(severity: Severity) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Finding:
    scanner: str
    rule: str  # the scanner's rule or advisory id (CKV_AWS_145, B608, GHSA-..., "AWS Access Key")
    severity: Severity
    location: str  # a file relative to the repository root (posix), or a package ("requests==2.19.0")
    message: str
    line: int = 0
    resource: str = ""  # what inside the location (a Terraform address, a secret's hash): keys baselines

    @property
    def where(self) -> str:
        return f"{self.location}:{self.line}" if self.line else self.location

    def describe(self) -> str:
        return f"{self.severity} {self.scanner} {self.rule} {self.where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "scanner": self.scanner,
            "rule": self.rule,
            "severity": self.severity,
            "location": self.location,
            "line": self.line,
            "resource": self.resource,
            "message": self.message,
        }


@dataclass(frozen=True)
class Suppression:
    scanner: str
    rule: str  # exact id, or "*"
    path: str  # glob over Finding.location
    reason: str
    expires: dt.date | None = None

    def active(self, today: dt.date) -> bool:
        return self.expires is None or today <= self.expires

    def matches(self, f: Finding) -> bool:
        return (
            f.scanner == self.scanner
            and self.rule in ("*", f.rule)
            and fnmatch.fnmatchcase(f.location, self.path)
        )

    def describe(self) -> str:
        until = f" until {self.expires.isoformat()}" if self.expires else ""
        return f"{self.scanner} {self.rule} {self.path}{until}: {self.reason}"


@dataclass(frozen=True)
class Accepted:
    """One entry of a reviewed baseline: this exact finding is known and accepted for now."""

    scanner: str
    rule: str
    location: str
    resource: str
    reason: str

    def matches(self, f: Finding) -> bool:
        return (f.scanner, f.rule, f.location, f.resource) == (
            self.scanner,
            self.rule,
            self.location,
            self.resource,
        )

    def describe(self) -> str:
        return f"{self.scanner} {self.rule} {self.location} {self.resource}".rstrip()


@dataclass(frozen=True)
class SecurityConfig:
    threshold: Severity = DEFAULT_THRESHOLD
    thresholds: Mapping[str, Severity] = field(default_factory=dict)  # per scanner
    severity_map: Mapping[str, Mapping[str, Severity]] = field(default_factory=dict)  # scanner -> rule
    default_severity: Mapping[str, Severity] = field(default_factory=dict)  # scanner -> unmapped rules
    suppressions: tuple[Suppression, ...] = ()
    baselines: Mapping[str, Path] = field(default_factory=dict)  # scanner -> baseline file
    source: str = "default"

    def threshold_for(self, scanner: str) -> Severity:
        return self.thresholds.get(scanner, self.threshold)

    def severity_for(self, scanner: str, rule: str) -> Severity:
        """For findings whose scanner gives no severity: the map, else the scanner's configured
        default, else fail closed (high, or the threshold when that is critical)."""
        mapped = self.severity_map.get(scanner, {}).get(rule)
        if mapped is not None:
            return mapped
        configured = self.default_severity.get(scanner)
        if configured is not None:
            return configured
        return "critical" if self.threshold_for(scanner) == "critical" else "high"


@dataclass(frozen=True)
class Evaluation:
    blocking: tuple[Finding, ...]
    suppressed: tuple[tuple[Finding, Suppression], ...]
    accepted: tuple[tuple[Finding, Accepted], ...]
    below_threshold: tuple[Finding, ...]
    expired_suppressions: tuple[Suppression, ...]
    unused_baseline: tuple[Accepted, ...]

    @property
    def failed(self) -> bool:
        return bool(self.blocking)


def evaluate(
    findings: Iterable[Finding],
    config: SecurityConfig,
    today: dt.date,
    accepted: Iterable[Accepted] = (),
    scanners: Collection[str] | None = None,
) -> Evaluation:
    """Sort `findings`: below threshold, else suppressed (active entry), else accepted (baseline
    entry), else blocking. `scanners` limits which suppressions are in scope for reporting expiry
    (None: all)."""
    entries = tuple(accepted)
    in_scope = [s for s in config.suppressions if scanners is None or s.scanner in scanners]
    live = [s for s in in_scope if s.active(today)]
    blocking: list[Finding] = []
    suppressed: list[tuple[Finding, Suppression]] = []
    baselined: list[tuple[Finding, Accepted]] = []
    below: list[Finding] = []
    used: set[Accepted] = set()
    for f in findings:
        if rank(f.severity) < rank(config.threshold_for(f.scanner)):
            below.append(f)
            continue
        supp = next((s for s in live if s.matches(f)), None)
        if supp is not None:
            suppressed.append((f, supp))
            continue
        entry = next((a for a in entries if a.matches(f)), None)
        if entry is not None:
            baselined.append((f, entry))
            used.add(entry)
            continue
        blocking.append(f)
    return Evaluation(
        blocking=tuple(blocking),
        suppressed=tuple(suppressed),
        accepted=tuple(baselined),
        below_threshold=tuple(below),
        expired_suppressions=tuple(s for s in in_scope if not s.active(today)),
        unused_baseline=tuple(dict.fromkeys(a for a in entries if a not in used)),
    )


# -- ci/security.toml ---------------------------------------------------------------------------

CONFIG_FILE = "security.toml"
_TOP_KEYS = {"threshold", "scanner", "suppress"}
_SCANNER_KEYS = {"threshold", "default_severity", "severity", "baseline"}
_SUPPRESS_KEYS = {"scanner", "rule", "path", "reason", "expires"}


def _severity(value: object, where: str) -> Severity:
    if isinstance(value, str) and value in SEVERITIES:
        return value
    raise UsageError(f"{where} must be one of {', '.join(SEVERITIES)}, got {value!r}")


def _scanner(name: object, where: str) -> str:
    if isinstance(name, str) and name in SCANNERS:
        return name
    raise UsageError(f"{where}: unknown scanner {name!r} (one of {', '.join(SCANNERS)})")


def _unknown(keys: Iterable[str], allowed: set[str], where: str) -> None:
    extra = sorted(set(keys) - allowed)
    if extra:
        raise UsageError(f"{where}: unknown key {extra[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f'{where}: "{key}" must be a non-empty string')
    return value.strip()


def _suppression(entry: object, where: str) -> Suppression:
    if not isinstance(entry, dict):
        raise UsageError(f"{where}: must be a table ([[suppress]])")
    _unknown(entry, _SUPPRESS_KEYS, where)
    expires = entry.get("expires")
    if expires is not None and (isinstance(expires, dt.datetime) or not isinstance(expires, dt.date)):
        raise UsageError(f'{where}: "expires" must be a TOML date such as 2027-06-30, got {expires!r}')
    return Suppression(
        scanner=_scanner(entry.get("scanner"), where),
        rule=_text(entry, "rule", where),
        path=_text(entry, "path", where),
        reason=_text(entry, "reason", where),
        expires=expires,
    )


def load_config(cfg_dir: Path | None) -> SecurityConfig:
    """ci/security.toml, or the defaults when there is none; bad content is a one-line UsageError."""
    if cfg_dir is None or not (cfg_dir / CONFIG_FILE).is_file():
        return SecurityConfig()
    file = cfg_dir / CONFIG_FILE
    doc = tomlfile.read(file, "security configuration")
    _unknown(doc, _TOP_KEYS, str(file))
    threshold = _severity(doc.get("threshold", DEFAULT_THRESHOLD), f"{file}: threshold")
    thresholds: dict[str, Severity] = {}
    severity_map: dict[str, dict[str, Severity]] = {}
    defaults: dict[str, Severity] = {}
    baselines: dict[str, Path] = {}
    scanners = doc.get("scanner", {})
    if not isinstance(scanners, dict):
        raise UsageError(f"{file}: [scanner] must be a table of scanner tables")
    for name, table in scanners.items():
        where = f"{file}: [scanner.{name}]"
        _scanner(name, where)
        if not isinstance(table, dict):
            raise UsageError(f"{where} must be a table")
        _unknown(table, _SCANNER_KEYS, where)
        if "threshold" in table:
            thresholds[name] = _severity(table["threshold"], f"{where} threshold")
        if "default_severity" in table:
            defaults[name] = _severity(table["default_severity"], f"{where} default_severity")
        rules = table.get("severity", {})
        if not isinstance(rules, dict):
            raise UsageError(f"{where} severity must be a table of rule = severity")
        severity_map[name] = {
            str(rule): _severity(sev, f"{where} severity.{rule}") for rule, sev in rules.items()
        }
        if "baseline" in table:
            rel = table["baseline"]
            if not isinstance(rel, str) or not rel.strip():
                raise UsageError(f"{where} baseline must be a file name relative to ci/")
            if not (cfg_dir / rel).is_file():
                raise UsageError(f"{where} baseline: {cfg_dir / rel} not found")
            baselines[name] = cfg_dir / rel
    entries = doc.get("suppress", [])
    if not isinstance(entries, list):
        raise UsageError(f"{file}: suppress must be an array of tables ([[suppress]])")
    return SecurityConfig(
        threshold=threshold,
        thresholds=thresholds,
        severity_map=severity_map,
        default_severity=defaults,
        suppressions=tuple(_suppression(e, f"{file}: suppress #{i + 1}") for i, e in enumerate(entries)),
        baselines=baselines,
        source=str(file),
    )


# -- reviewed baselines (ci/<scanner>-baseline.json) --------------------------------------------
# {"scanner": "checkov", "reason": "why these are accepted for now",
#  "accepted": [{"rule": "CKV_AWS_18", "location": "terraform/x/main.tf", "resource": "aws_s3_bucket.b",
#                "note": "the rule's title, for the reviewer", "reason": "optional, overrides"}]}


def load_baseline(path: Path, scanner: str) -> tuple[Accepted, ...]:
    """The accepted findings of a reviewed baseline; a malformed file is a one-line UsageError."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a readable JSON baseline ({exc})") from None
    if not isinstance(doc, dict) or doc.get("scanner") != scanner:
        raise UsageError(f'{path}: must be an object with "scanner": "{scanner}"')
    default_reason = doc.get("reason", "")
    entries = doc.get("accepted")
    if not isinstance(entries, list):
        raise UsageError(f'{path}: "accepted" must be a list of findings')
    out: list[Accepted] = []
    for i, e in enumerate(entries):
        where = f"{path}: accepted #{i + 1}"
        if not isinstance(e, dict):
            raise UsageError(f"{where}: must be an object")
        reason = e.get("reason", default_reason)
        if not isinstance(reason, str) or not reason.strip():
            raise UsageError(f'{where}: no reason (give "reason" on the entry or the file)')
        out.append(
            Accepted(
                scanner=scanner,
                rule=_text(e, "rule", where),
                location=_text(e, "location", where),
                resource=str(e.get("resource", "")),
                reason=reason.strip(),
            )
        )
    return tuple(out)
