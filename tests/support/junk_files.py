"""Malformed project files for the junk-input property: each damage is invalid by construction.

A `Damage` names the file (relative to a project or to a `ci --path` directory) and the bytes that
replace it (None: a directory takes the file's place). Mutations that keep the document well-formed
(a wrong type, an unknown key, a bad value) are applied to the parsed document and written back with
`toml_dumps`, so only the mutation is wrong.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.support.junk_values import HUGE_TEXT, NON_UTF8_TEXT, PRINTABLE_WORD

REPO = Path(__file__).resolve().parents[2]

# what each damaged file is called where it lives (the error line must name it)
INFRA_TOML = "infra.toml"
REGISTER = "residency/transfers.toml"
FLAG_SCHEMA = "cd/flags.schema.json"
SMOKE = "cd/smoke.toml"
PROMOTION = "cd/promotion.toml"
PRICES = "cost/prices-af-south-1.toml"
COVERAGE = "ci/coverage.json"
SECURITY = "ci/security.toml"


@dataclass(frozen=True)
class Damage:
    file: str  # relative path of the damaged file
    content: bytes | None  # None: a directory in its place
    what: str  # for the failure message

    def __repr__(self) -> str:  # Hypothesis prints it: keep 100 KB files out of the report
        size = "directory" if self.content is None else f"{len(self.content)} bytes"
        return f"Damage({self.file!r}, {self.what}, {size})"


# -- a TOML writer for mutated documents: every value inline, keys quoted --------------------------
def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if value == value else "nan"  # noqa: PLR0124 (nan test)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are TOML's
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def toml_dumps(doc: dict[str, Any]) -> str:
    return "".join(f"{_toml_value(str(k))} = {_toml_value(v)}\n" for k, v in doc.items())


# -- mutations of a parsed document -----------------------------------------------------------------
Mutation = Callable[[Any, Any], None]  # (document, junk) -> None, in place


def _set(path: str, kind: str = "any") -> tuple[str, Mutation]:
    """Set the value at dotted `path` (an int segment indexes a list) to the junk value."""
    keys: list[str | int] = [int(k) if k.isdigit() else k for k in path.split(".")]

    def mutate(doc: Any, junk: Any) -> None:
        node = doc
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = junk

    return f"{path}={kind}", mutate


def _add(path: str) -> tuple[str, Mutation]:
    """Add an unknown key (the junk value is the key's value) to the table at `path` ("" = top)."""
    keys = [k for k in path.split(".") if k]

    def mutate(doc: Any, junk: Any) -> None:
        node = doc
        for key in keys:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[f"zz_unknown_{len(node)}"] = junk

    return f"unknown key in [{path}]", mutate


def _wrong_type(original: Any, *, json_only: bool = False) -> st.SearchStrategy[Any]:
    """A value of another TOML (or JSON) type than `original`."""
    options: list[st.SearchStrategy[Any]] = [
        st.integers(-(10**6), 10**6),
        st.booleans(),
        st.lists(st.integers(0, 9), max_size=2),
        st.just({"x": 1}),
        PRINTABLE_WORD,
        st.just(dt.date(2020, 1, 1)),
    ]
    kinds = (int, bool, list, dict, str, dt.date)
    keep = [
        s
        for s, kind in zip(options, kinds, strict=True)
        if not isinstance(original, kind) or (kind is int and isinstance(original, bool))
    ]
    if isinstance(original, int) and not isinstance(original, bool):  # bools are ints to Python
        keep = [s for s, kind in zip(options, kinds, strict=True) if kind not in (int, bool)]
    if json_only:
        keep = keep[:-1] if not isinstance(original, dt.date) else keep
    return st.one_of(keep)


def _get(doc: Any, path: str) -> Any:
    node = doc
    for key in path.split("."):
        node = node[int(key)] if key.isdigit() else node[key]
    return node


@dataclass(frozen=True)
class FileRules:
    """How one file may be damaged beyond bad syntax: typed paths, tables, bad values."""

    file: str
    typed: tuple[str, ...]  # dotted paths whose type is fixed
    tables: tuple[str, ...]  # tables that take no unknown keys
    bad_values: tuple[tuple[str, st.SearchStrategy[Any]], ...] = ()
    json: bool = False
    can_be_empty: bool = False  # an empty file is valid (so not junk)
    directory_is_absent: bool = False  # a directory in its place reads as "no file": valid


_REGION_JUNK = st.one_of(HUGE_TEXT, NON_UTF8_TEXT.map(lambda s: s.encode("utf-8", "replace").decode()))
RULES = {
    INFRA_TOML: FileRules(
        INFRA_TOML,
        typed=(
            "project",
            "project.name",
            "project.default_region",
            "project.owner",
            "project.domain",
            "tags",
            "tags.required",
            "tags.defaults",
            "residency",
            "residency.default_class",
            "residency.personal_classes",
            "residency.domestic_locations",
            "residency.register",
            "residency.allowed_regions",
            "residency.allowed_regions.internal",
            "cdn",
            "cdn.never_cache_paths",
            "emulator",
            "emulator.port",
            "environments",
            "environments.dev",
            "environments.dev.tags",
            "environments.dev.variables",
            "environments.dev.variables.vpc_cidr",
            "environments.prod.protected",
            "environments.staging.high_availability",
        ),
        tables=("", "project", "tags", "residency", "cdn", "emulator", "environments.dev"),
        bad_values=(
            ("project.name", st.sampled_from(["NG APP", "x", "-ngapp", "ngapp_", "a" * 21, "ngapp\n"])),
            ("project.domain", st.sampled_from(["NGAPP.example", "ngapp", "ngapp..example", "a b.example"])),
            ("project.owner", st.one_of(HUGE_TEXT, st.just("team\nnext line"), st.just("a\x00b"))),
            (
                "project.default_region",
                st.sampled_from(["eu-west", "AF-SOUTH-1", "us-east-1", "af-south-1\n"]),
            ),
            ("residency.default_class", st.sampled_from(["secret", "", "Internal"])),
            ("tags.required", st.sampled_from([[], ["Bad Key!"], ["1Project"], ["Project\n"]])),
            ("residency.domestic_locations", st.sampled_from([["af-south-1-los-1a\n"], ["lagos"]])),
            ("cdn.never_cache_paths", st.sampled_from([["api/*"], ["/api/ *"], [""]])),
            ("emulator.port", st.sampled_from([0, 80, 1023, 65536, -1, 10**20])),
            ("environments.dev.region", _REGION_JUNK),
            ("environments.dev.variables.vpc_cidr", st.sampled_from(["10.20.0.0/16", "10.10.0.0/33", "x"])),
            ("environments.dev.tags", st.just({"Bad Key!": "x"})),
        ),
    ),
    REGISTER: FileRules(
        REGISTER,
        typed=(
            "transfer",
            "transfer.0",
            "transfer.0.id",
            "transfer.0.data_class",
            "transfer.0.destination",
            "transfer.0.services",
            "transfer.0.legal_basis",
            "transfer.0.approver",
            "transfer.0.expires",
            "transfer.0.purpose",
        ),
        tables=("", "transfer.0"),
        bad_values=(
            ("transfer.0.id", st.sampled_from(["TR-1", "tr-001", "", "TR 001"])),
            ("transfer.0.destination", st.sampled_from(["mars-1", "eu-west-1", "af-south-1-xyz"])),
            ("transfer.0.services", st.sampled_from([[], ["ec2"], ["rds", 5]])),
            ("transfer.0.legal_basis", st.sampled_from(["because", "s.99: nothing", ""])),
            ("transfer.0.data_class", st.sampled_from(["secret", "Personal"])),
            ("transfer.1.id", st.just("TR-001")),  # the same id twice
        ),
        can_be_empty=True,
    ),
    SMOKE: FileRules(
        SMOKE,
        typed=(
            "health_path",
            "version_path",
            "latency_budget_ms",
            "samples",
            "timeout_s",
            "check",
            "check.0",
        ),
        tables=("", "check.0"),
        bad_values=(
            ("health_path", st.sampled_from(["health", "", " /health"])),
            ("samples", st.sampled_from([0, -1])),
            ("timeout_s", st.sampled_from([0, -5])),
        ),
        can_be_empty=True,
    ),
    PROMOTION: FileRules(
        PROMOTION,
        typed=("environments", "environments.prod", "environments.prod.requires"),
        tables=("", "environments.prod"),
        bad_values=(("environments.prod.requires", st.sampled_from(["qa", "", "../staging"])),),
        can_be_empty=True,
    ),
    PRICES: FileRules(PRICES, typed=("table", "table.region", "table.currency", "table.as_of"), tables=("",)),
    FLAG_SCHEMA: FileRules(
        FLAG_SCHEMA,
        typed=(
            "properties",
            "properties.values",
            "properties.values.properties",
            "properties.values.properties.maintenance_banner",
        ),
        tables=(),
        bad_values=(
            ("type", st.sampled_from([5, "no-such-type", ["object", 3]])),
            ("properties.values.properties.maintenance_banner.properties.message.type", st.just("object")),
        ),
        json=True,
    ),
    COVERAGE: FileRules(
        COVERAGE,
        typed=("threshold", "overrides"),
        tables=(),
        bad_values=(("threshold", st.sampled_from([101, -1, 1e309])),),
        json=True,
        directory_is_absent=True,
    ),
    SECURITY: FileRules(
        SECURITY, typed=("threshold",), tables=("",), can_be_empty=True, directory_is_absent=True
    ),
}


def original_bytes(file: str) -> bytes:
    """The file as the repository has it (ci/ files: a minimal valid one)."""
    if file == COVERAGE:
        return b'{"threshold": 80, "overrides": {}}\n'
    if file == SECURITY:
        return b'threshold = "high"\n'
    return (REPO / file).read_bytes()


def _parse(rules: FileRules, data: bytes) -> Any:
    return json.loads(data) if rules.json else tomllib.loads(data.decode())


def _dump(rules: FileRules, doc: Any) -> bytes:
    return (json.dumps(doc, indent=1) if rules.json else toml_dumps(doc)).encode()


@st.composite
def damages(draw: st.DrawFn, file: str) -> Damage:
    """One way to break `file`; every way is invalid for the reader of that file."""
    rules, data = RULES[file], original_bytes(file)
    kinds = ["syntax", "non_utf8"]
    kinds += [] if rules.directory_is_absent else ["directory"]
    kinds += ["wrong_type"] if rules.typed else []
    kinds += ["unknown_key"] if rules.tables else []
    kinds += ["bad_value"] if rules.bad_values else []
    kinds += [] if rules.can_be_empty or rules.json else ["empty"]
    kind = draw(st.sampled_from(kinds))
    if kind == "directory":
        return Damage(file, None, "a directory in place of the file")
    if kind == "empty":
        return Damage(file, b"", "empty")
    if kind == "non_utf8":
        at = draw(st.integers(0, len(data)))
        bad = draw(st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3\x28", b"\x80", b"\xed\xa0\x80"]))
        return Damage(file, data[:at] + bad + data[at:], f"non-UTF-8 bytes at {at}")
    if kind == "syntax":
        word = draw(PRINTABLE_WORD.filter(lambda w: '"' not in w and "\\" not in w))
        tail = draw(
            st.sampled_from(
                [f'\n{word} = "unterminated', f"\n[{word}", f"\n{word} =", "\n= x", "\n[[[", "\x00"]
                if not rules.json
                else ["}", "{", f"\n{word}", ",", "\x00"]
            )
        )
        return Damage(file, data + tail.encode(), f"bad syntax: {tail[:40]!r}")
    doc = copy.deepcopy(_parse(rules, data))
    if kind == "wrong_type":
        name, mutate = _set(draw(st.sampled_from(rules.typed)), "wrong type")
        junk = draw(_wrong_type(_get(doc, name.split("=")[0]), json_only=rules.json))
    elif kind == "unknown_key":
        name, mutate = _add(draw(st.sampled_from(rules.tables)))
        junk = draw(st.one_of(PRINTABLE_WORD, st.integers(), st.booleans()))
    else:
        path, values = draw(st.sampled_from(rules.bad_values))
        name, mutate = _set(path, "bad value")
        junk = draw(values)
    mutate(doc, junk)
    return Damage(file, _dump(rules, doc), f"{name}: {junk!r:.60}")


def apply(root: Path, damage: Damage) -> None:
    """Write `damage` under `root` (what was there is gone: restore with `restore`)."""
    path = root / damage.file
    if path.is_dir():
        path.rmdir()
    else:
        path.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    if damage.content is None:
        path.mkdir()
    else:
        path.write_bytes(damage.content)


def restore(root: Path, file: str, content: bytes | None) -> None:
    """Put back what `apply` replaced (None: there was no file)."""
    path = root / file
    if path.is_dir():
        path.rmdir()
    elif path.exists():
        path.unlink()
    if content is not None:
        path.write_bytes(content)
