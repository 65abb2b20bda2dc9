"""Settings: the one source of truth, read from `infra.toml` at the project root.

Environments are the directories under `terraform/environments/`; `infra.toml` may override
their region, tags and Terraform variables. Everything is validated on load so that a bad
setting fails before any AWS call.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployment_infra import tomlfile
from deployment_infra import transfers as transfers_mod
from deployment_infra.errors import SettingsError, UsageError
from deployment_infra.transfers import Transfer

SETTINGS_FILE = "infra.toml"
PROJECT_DIR_ENV = "INFRA_PROJECT_DIR"
EMULATOR_PORT_ENV = "INFRA_EMULATOR_PORT"
DEFAULT_EMULATOR_PORT = 4566

# \Z, not $: "$" also matches before a trailing newline ("ngapp\n" would pass); [0-9], not \d (Unicode)
_PROJECT_NAME = re.compile(r"^[a-z][a-z0-9-]{1,18}[a-z0-9]\Z")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]\Z")
_ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}\Z")
_TAG_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.:/=+@-]{0,127}\Z")
_TF_VAR = re.compile(r"^[a-z_][a-z0-9_]*\Z")
_DOMAIN = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z")
_PATH_PATTERN = re.compile(r"^/[A-Za-z0-9_.~/*-]*\Z")
DEFAULT_REGISTER = "residency/transfers.toml"
# Inside Nigeria: the AWS Lagos Local Zone. Data held there is not a cross-border transfer.
DEFAULT_DOMESTIC = ("af-south-1-los-1a",)
DEFAULT_NEVER_CACHE = ("/api/*", "/auth/*")
# The keys each table of infra.toml takes: a misspelt key is an error, never silently ignored.
_KEYS = {
    "": {"project", "tags", "residency", "cdn", "emulator", "environments"},
    "project": {"name", "default_region", "owner", "domain"},
    "tags": {"required", "defaults"},
    "residency": {"default_class", "personal_classes", "domestic_locations", "register", "allowed_regions"},
    "cdn": {"never_cache_paths"},
    "emulator": {"port"},
}
_TAG_VALUE_MAX = 256  # AWS: up to 256 Unicode characters
_TAG_VALUE_PUNCTUATION = frozenset(" _.:/=+-@")


@dataclass(frozen=True)
class EnvironmentSettings:
    """One environment: a root module under terraform/environments/<name>."""

    name: str
    path: Path
    region: str
    tags: Mapping[str, str] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)
    protected: bool = False  # destructive actions ask for confirmation (or --yes)
    # The gate then demands failover for caches (and, when protected, deletion protection).
    highly_available: bool = False


@dataclass(frozen=True)
class Settings:
    """Validated project settings."""

    root: Path
    project: str
    default_region: str
    owner: str
    domain: str
    required_tags: tuple[str, ...]
    default_data_class: str
    allowed_regions: Mapping[str, frozenset[str]]
    emulator_port: int
    environments: Mapping[str, EnvironmentSettings]
    # NDPA personal data: held outside `domestic_locations` it needs a current register entry.
    personal_classes: frozenset[str] = frozenset()
    domestic_locations: frozenset[str] = frozenset(DEFAULT_DOMESTIC)
    transfers: tuple[Transfer, ...] = ()
    register_path: Path | None = None
    # CloudFront path patterns that must never be cached (API and authenticated responses).
    never_cache_paths: tuple[str, ...] = DEFAULT_NEVER_CACHE
    # [tags] defaults: tags for every resource (environments may override), e.g. CostCenter.
    tag_defaults: Mapping[str, str] = field(default_factory=dict)

    @property
    def terraform_dir(self) -> Path:
        return self.root / "terraform"

    @property
    def run_dir(self) -> Path:
        """Where `infra` keeps pids, generated configs, plans and Terraform data (git-ignored)."""
        return self.root / ".infra"

    def environment(self, name: str) -> EnvironmentSettings:
        """The environment called `name`, or a UsageError that lists the valid ones."""
        try:
            return self.environments[name]
        except KeyError:
            valid = ", ".join(sorted(self.environments)) or "(none)"
            raise UsageError(f"unknown environment {name!r}; valid: {valid}") from None

    def default_tags(self, env: EnvironmentSettings) -> dict[str, str]:
        """Tags every resource of `env` gets through the provider's default_tags."""
        tags = {
            "Project": self.project,
            "Environment": env.name,
            "ManagedBy": "terraform",
            "Owner": self.owner,
            "DataClassification": self.default_data_class,
            **self.tag_defaults,
        }
        tags.update(env.tags)
        return tags

    def shared_tags(self) -> dict[str, str]:
        """Tags of what belongs to no environment (the state bucket and lock table)."""
        return {
            "Project": self.project,
            "Environment": "shared",
            "ManagedBy": "terraform",
            "Owner": self.owner,
            "DataClassification": self.default_data_class,
            **self.tag_defaults,
        }


def find_root(start: Path | None = None) -> Path:
    """The project root: $INFRA_PROJECT_DIR, else the nearest directory holding infra.toml."""
    explicit = os.environ.get(PROJECT_DIR_ENV)
    if explicit:
        root = Path(explicit).resolve()
        if not (root / SETTINGS_FILE).is_file():
            raise UsageError(f"{PROJECT_DIR_ENV}={explicit} has no {SETTINGS_FILE}")
        return root
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / SETTINGS_FILE).is_file():
            return candidate
    raise UsageError(f"no {SETTINGS_FILE} found in {here} or its parents (set {PROJECT_DIR_ENV})")


def load(root: Path | None = None) -> Settings:
    """Read and validate infra.toml under `root` (found by `find_root` when omitted)."""
    root = (root or find_root()).resolve()
    path = root / SETTINGS_FILE
    raw = tomlfile.read(path, "settings file", SettingsError)
    try:
        return parse(raw, root)
    except SettingsError as exc:
        if str(exc).startswith(str(root)):  # already names its file (the transfer register)
            raise
        raise SettingsError(f"{path}: {exc}") from None


def parse(raw: Mapping[str, Any], root: Path) -> Settings:
    """Validate the parsed TOML document `raw`; `root` is the project directory."""
    _known_keys(raw, "")
    project = _table(raw, "project")
    name = _str(project, "name", "project.name")
    if not _PROJECT_NAME.match(name):
        raise SettingsError(
            f"project.name {name!r} must be 3-20 chars of a-z, 0-9 and '-', starting with a letter"
        )
    default_region = _region(_str(project, "default_region", "project.default_region"), "project")
    owner = _tag_value(_str(project, "owner", "project.owner"), "project.owner")
    domain = _str(project, "domain", "project.domain")
    if not _DOMAIN.match(domain):
        raise SettingsError(f"project.domain {domain!r} is not a lower-case DNS name")

    tags = _table(raw, "tags")
    required = tags.get("required")
    if not isinstance(required, list) or not required:
        raise SettingsError("tags.required must be a non-empty list of tag keys")
    for key in required:
        if not isinstance(key, str) or not _TAG_KEY.match(key):
            raise SettingsError(f"tags.required: {key!r} is not a valid tag key")
    tag_defaults = tags.get("defaults", {})
    if not isinstance(tag_defaults, dict) or not all(
        isinstance(k, str) and _TAG_KEY.match(k) and isinstance(v, str) and v for k, v in tag_defaults.items()
    ):
        raise SettingsError("tags.defaults must map tag keys to non-empty strings")
    for key, value in tag_defaults.items():
        _tag_value(value, f"tags.defaults.{key}")

    residency = _table(raw, "residency")
    allowed_raw = residency.get("allowed_regions")
    if not isinstance(allowed_raw, dict) or not allowed_raw:
        raise SettingsError("residency.allowed_regions must map each data class to a list of regions")
    allowed: dict[str, frozenset[str]] = {}
    for data_class, regions in allowed_raw.items():
        if not isinstance(regions, list) or not regions:
            raise SettingsError(f"residency.allowed_regions.{data_class} must be a non-empty list")
        allowed[data_class] = frozenset(
            _location(r, f"residency.allowed_regions.{data_class}") for r in regions
        )
    default_class = _str(residency, "default_class", "residency.default_class")
    if default_class not in allowed:
        known = ", ".join(sorted(allowed))
        raise SettingsError(f"residency.default_class {default_class!r} is not a data class; known: {known}")
    if default_region not in allowed[default_class]:
        raise SettingsError(
            f"project.default_region {default_region} is not allowed for the default class {default_class!r}"
        )

    transfer_settings = _transfer_settings(residency, allowed, root)
    never_cache = _str_list(_optional_table(raw, "cdn"), "cdn.never_cache_paths", list(DEFAULT_NEVER_CACHE))
    for pattern in never_cache:
        if not _PATH_PATTERN.match(pattern):
            raise SettingsError(f"cdn.never_cache_paths: {pattern!r} is not a CloudFront path pattern")

    port = _emulator_port(raw.get("emulator", {}))
    environments = _environments(raw.get("environments", {}), root, default_region)
    return Settings(
        root=root,
        project=name,
        default_region=default_region,
        owner=owner,
        domain=domain,
        required_tags=tuple(required),
        default_data_class=default_class,
        allowed_regions=allowed,
        emulator_port=port,
        environments=environments,
        **transfer_settings,
        never_cache_paths=tuple(never_cache),
        tag_defaults=dict(tag_defaults),
    )


def _transfer_settings(
    residency: Mapping[str, Any], allowed: Mapping[str, frozenset[str]], root: Path
) -> dict[str, Any]:
    """personal_classes, domestic_locations and the transfer register of [residency]."""
    personal = _str_list(
        residency,
        "residency.personal_classes",
        [c for c in ("personal", "sensitive-personal") if c in allowed],
    )
    for data_class in personal:
        if data_class not in allowed:
            raise SettingsError(f"residency.personal_classes: {data_class!r} is not a data class")
    domestic = _str_list(residency, "residency.domestic_locations", list(DEFAULT_DOMESTIC))
    for location in domestic:
        _location(location, "residency.domestic_locations")
    register_rel = residency.get("register", DEFAULT_REGISTER)
    if not isinstance(register_rel, str) or not register_rel:
        raise SettingsError("residency.register must be a path (relative to the project root)")
    register_path = root / register_rel
    # A register named explicitly must exist; without one the register is empty, so every
    # personal data store outside Nigeria fails the gate (fail closed).
    if "register" in residency or register_path.is_file():
        register = transfers_mod.load(register_path, allowed)
    else:
        register = ()
    return {
        "personal_classes": frozenset(personal),
        "domestic_locations": frozenset(domestic),
        "transfers": register,
        "register_path": register_path,
    }


def _environments(raw: Any, root: Path, default_region: str) -> dict[str, EnvironmentSettings]:
    if not isinstance(raw, dict):
        raise SettingsError("environments must be a table of [environments.<name>] sections")
    env_dir = root / "terraform" / "environments"
    found = sorted(p for p in env_dir.iterdir() if p.is_dir()) if env_dir.is_dir() else []
    names = {p.name for p in found}
    for name in raw:
        if name not in names:
            raise SettingsError(
                f"environments.{name}: no directory terraform/environments/{name} "
                f"(existing: {', '.join(sorted(names)) or 'none'})"
            )
    result: dict[str, EnvironmentSettings] = {}
    for path in found:
        if not _ENV_NAME.match(path.name):
            continue  # not an environment (e.g. a scratch dir); only valid names are offered
        override = raw.get(path.name, {})
        if not isinstance(override, dict):
            raise SettingsError(f"environments.{path.name} must be a table")
        unknown = set(override) - {"region", "tags", "variables", "protected", "high_availability"}
        if unknown:
            raise SettingsError(f"environments.{path.name}: unknown keys {', '.join(sorted(unknown))}")
        region = _region(override.get("region", default_region), f"environments.{path.name}")
        tags = override.get("tags", {})
        if not isinstance(tags, dict) or not all(
            isinstance(k, str) and _TAG_KEY.match(k) and isinstance(v, str) for k, v in tags.items()
        ):
            raise SettingsError(f"environments.{path.name}.tags must map tag keys to strings")
        for key, value in tags.items():
            _tag_value(value, f"environments.{path.name}.tags.{key}")
        variables = override.get("variables", {})
        if not isinstance(variables, dict) or not all(_TF_VAR.match(k) for k in variables):
            raise SettingsError(
                f"environments.{path.name}.variables must map Terraform variable names to values"
            )
        protected = override.get("protected", path.name == "prod")
        if not isinstance(protected, bool):
            raise SettingsError(f"environments.{path.name}.protected must be true or false")
        highly_available = override.get("high_availability", protected)
        if not isinstance(highly_available, bool):
            raise SettingsError(f"environments.{path.name}.high_availability must be true or false")
        result[path.name] = EnvironmentSettings(
            path.name, path, region, dict(tags), dict(variables), protected, highly_available
        )
    _check_distinct_cidrs(result)
    return result


def _check_distinct_cidrs(environments: Mapping[str, EnvironmentSettings]) -> None:
    """Environments are isolated networks: no two may use overlapping VPC CIDRs."""
    seen: list[tuple[ipaddress.IPv4Network, str]] = []
    for env in environments.values():
        cidr = env.variables.get("vpc_cidr")
        if cidr is None:
            continue
        try:
            if not isinstance(cidr, str):  # ipaddress would take 5 as 0.0.0.5/32
                raise ValueError(cidr)
            net = ipaddress.IPv4Network(cidr)
        except ValueError:
            raise SettingsError(
                f"environments.{env.name}.variables.vpc_cidr {cidr!r} is not an IPv4 CIDR"
            ) from None
        for other, name in seen:
            if net.overlaps(other):
                raise SettingsError(
                    f"environments {name} and {env.name} have overlapping VPC CIDRs ({other}, {net})"
                )
        seen.append((net, env.name))


def _emulator_port(raw: Any) -> int:
    if not isinstance(raw, dict):
        raise SettingsError("emulator must be a table")
    _known_keys(raw, "emulator")
    # the file is checked even when the environment overrides it: a bad file is bad either way
    in_file = raw.get("port", DEFAULT_EMULATOR_PORT)
    if isinstance(in_file, bool) or not isinstance(in_file, int) or not 1024 <= in_file <= 65535:
        raise SettingsError(f"emulator.port must be a port number from 1024 to 65535, got {in_file!r}")
    override = os.environ.get(EMULATOR_PORT_ENV)
    if not override:
        return in_file
    try:
        port = int(override)
    except ValueError:
        raise SettingsError(f"{EMULATOR_PORT_ENV} must be a port number, got {override!r}") from None
    if not 1024 <= port <= 65535:
        raise SettingsError(f"{EMULATOR_PORT_ENV} must be between 1024 and 65535, got {override!r}")
    return port


def _known_keys(table: Mapping[str, Any], name: str) -> None:
    unknown = sorted(set(table) - _KEYS[name])
    if unknown:
        where = f"[{name}]" if name else "the top level"
        shown = ", ".join(repr(k)[:40] for k in unknown)
        raise SettingsError(f"unknown keys in {where}: {shown} (known: {', '.join(sorted(_KEYS[name]))})")


def _tag_value(value: str, where: str) -> str:
    """An AWS tag value: at most 256 characters of letters, digits, spaces and _ . : / = + - @."""
    if len(value) > _TAG_VALUE_MAX or not all(c.isalnum() or c in _TAG_VALUE_PUNCTUATION for c in value):
        raise SettingsError(
            f"{where} {value[:40]!r} is not a tag value: at most {_TAG_VALUE_MAX} letters, digits, "
            "spaces and _ . : / = + - @"
        )
    return value


def _table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise SettingsError(f"[{key}] section is missing from {SETTINGS_FILE}")
    _known_keys(value, key)
    return value


def _str(table: Mapping[str, Any], key: str, label: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise SettingsError(f"{label} must be a non-empty string")
    return value


def _optional_table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise SettingsError(f"{key} must be a table ([{key}])")
    _known_keys(value, key)
    return value


def _str_list(table: Mapping[str, Any], label: str, default: list[str]) -> list[str]:
    value = table.get(label.rsplit(".", 1)[-1], default)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SettingsError(f"{label} must be a list of non-empty strings")
    return list(value)


def _location(value: Any, where: str) -> str:
    if not isinstance(value, str) or not transfers_mod.is_location(value):
        raise SettingsError(f"{where}: {value!r} is not an AWS region name or Local Zone id")
    return value


def _region(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _REGION.match(value):
        raise SettingsError(f"{where}: {value!r} is not an AWS region name")
    return value
