"""Junk values for `infra` arguments, each invalid by construction or by an oracle written here (not
the validator under test): bad names, paths, numbers, URLs, huge, control and non-UTF-8 text.

Values never hold NUL: a real command line cannot carry one. Non-UTF-8 bytes arrive as Python sees
them in sys.argv: lone surrogates (os.fsdecode(b"\\xff") == "\\udcff").
"""

from __future__ import annotations

import datetime as dt
import os
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from hypothesis import strategies as st

ENV_NAMES = ("dev", "staging", "prod")
REPO_PLAN = Path(__file__).resolve().parents[1] / "fixtures" / "plans" / "tf111-mixed.json"
_ARGV_CHARS = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
TEXT = st.text(_ARGV_CHARS, max_size=40)
PRINTABLE_WORD = st.text(st.characters(categories=("Lu", "Ll")), min_size=1, max_size=12)
HUGE_TEXT = st.text(_ARGV_CHARS, min_size=1, max_size=8).map(
    lambda s: (s * (100_000 // len(s) + 1))[:100_000]
)
# \xff and \xfe never occur in UTF-8: each becomes a lone surrogate
NON_UTF8_TEXT = st.tuples(
    st.binary(max_size=8), st.sampled_from([b"\xff", b"\xfe"]), st.binary(max_size=8)
).map(lambda parts: os.fsdecode(b"".join(parts).replace(b"\x00", b"")))
CONTROL_TEXT = st.tuples(
    TEXT, st.text(st.characters(categories=("Cc",), exclude_characters="\x00"), min_size=1, max_size=3), TEXT
).map("".join)
UNICODE_TEXT = st.text(st.characters(min_codepoint=0x80, exclude_categories=("Cs",)), min_size=1, max_size=20)
PATH_LIKE = st.sampled_from(
    ["../x", "../../etc/passwd", "/etc", "dev/../prod", "./dev", "dev/", "~", "-", "."]
)


def junk_text(*extra: str) -> st.SearchStrategy[str]:
    """Text of every troublesome kind, plus `extra` near misses."""
    kinds = [TEXT, HUGE_TEXT, NON_UTF8_TEXT, CONTROL_TEXT, UNICODE_TEXT, PATH_LIKE, st.just("")]
    return st.one_of(*kinds, *([st.sampled_from(extra)] if extra else []))


def _parses(parse: Callable[[str], object], value: str) -> bool:
    try:
        parse(value)
    except (ValueError, TypeError, OverflowError):
        return False
    return True


# -- oracles: what a valid value looks like, from the formats' own definitions ----------------------
IMAGE_RE = re.compile(
    r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]{1,5})?(?:/[a-z0-9]+(?:[._-]{1,2}[a-z0-9]+)*)*"
    r":[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
)
TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
NAME_RE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
REGION_RE = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-[0-9]")
SHA_RE = re.compile(r"[0-9a-fA-F]{7,64}")
INSTANCE_RE = re.compile(r"[A-Za-z](?:-?[A-Za-z0-9])*")  # RDS: no "--", no trailing "-", <= 63


def _url_ok(value: str, *, base: bool) -> bool:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return False
    printable = all(c.isprintable() and not c.isspace() for c in value)
    shape = parts.scheme in ("http", "https") and bool(parts.hostname) and printable and port != 0
    if base:
        return shape and not parts.query and not parts.fragment
    return shape and len(value) <= 2048


def _release_ok(value: str) -> bool:
    v = value.strip()
    digits = len(v) <= 6 and v.isascii() and v.isdigit() and int(v) > 0
    return digits or re.fullmatch(r"r[0-9]{6}", v) is not None


def _number_junk(parse: Callable[[str], object], *out_of_range: str) -> st.SearchStrategy[str]:
    syntax = junk_text("ten", "1,5", "0x1p", "--1", "1e", "½", "²", "9" * 5000).filter(
        lambda v: not _parses(parse, v)
    )
    return st.one_of(syntax, st.sampled_from(out_of_range)) if out_of_range else syntax


POSITIVE_FLOAT_JUNK = _number_junk(float, "0", "-1", "-0.0", "nan", "NaN", "inf", "-inf", "1e999", "-1e-9")
ENV_JUNK = junk_text("DEV", "dev ", " dev", "dev\n", "pr-12", "dеv", "bootstrap", "modules", "../dev").filter(
    lambda v: v not in ENV_NAMES
)
TAG_JUNK = junk_text(".x", "-x", "a/b", "t" * 129, "a b", "v1:2").filter(lambda v: not TAG_RE.fullmatch(v))
IMAGE_JUNK = st.one_of(
    junk_text(
        "ngapp-dev/api",
        "ngapp-dev/api:",
        "NGAPP/api:1",
        "ngapp/api:.hidden",
        "ngapp/api@sha256:" + "a" * 64,
        "ngapp/api:a/b",
        ":tag",
        "ngapp//api:1",
    ),
    TAG_JUNK.map(lambda tag: "ngapp/api:" + tag),
).filter(lambda v: not IMAGE_RE.fullmatch(v))
NAME_JUNK = junk_text("log_level", "1ABC", "A-B", "A" * 65, "LOG\n", "LOG LEVEL", "ÄBC").filter(
    lambda v: not NAME_RE.fullmatch(v)
)
_BAD_PR_TOKENS = ("0", "-1", "1000000", "abc", "²", "١٢", "１２", "1.5", "12a", "1e3", "9" * 5000)
OPEN_PRS_JUNK = st.one_of(
    st.tuples(
        st.lists(st.integers(1, 999_999).map(str), max_size=3),
        st.sampled_from(_BAD_PR_TOKENS),
        st.sampled_from([",", " ", ", "]),
    ).map(lambda t: t[2].join([*t[0], t[1]])),
    st.sampled_from(['[1, "x"]', '[{"number": 0}]', "[true]", "[1.5]", "[", '{"number": 1}', "[null]"]),
    st.integers(2, 200_000).map(lambda n: "[" * n + "]" * n),  # nesting deep enough to break a parser
)


@dataclass(frozen=True)
class FileArg:
    """A path argument the runner creates under the example's scratch directory.

    kind: plan (a copy of a real plan JSON), file (`content`), dir (empty), missing (`name` does not
    exist), under_file (a path below a regular file), new (`name` in an existing directory),
    ci_project (a directory every `infra ci` stage applies to, ci/ config included).
    """

    kind: str
    content: bytes = b""
    name: str = "x"
    prefix: str = ""  # e.g. "dev=" for --plan-file ENV=PATH

    def __repr__(self) -> str:
        return f"FileArg({self.prefix}{self.kind}, {len(self.content)} bytes, name {self.name[:30]!r})"


PLAN = FileArg("plan")
_MISSING = st.one_of(PRINTABLE_WORD, HUGE_TEXT, NON_UTF8_TEXT).map(
    lambda n: FileArg("missing", name=n.replace("/", "_"))
)
_GARBAGE = st.one_of(
    st.binary(min_size=1, max_size=64).map(lambda b: b + b"\xff"),
    st.sampled_from([b"{not json", b"[]", b"5", b"null", b'"x"', b'{"hello": "world"}', b"\xef\xbb\xbf{"]),
    st.integers(2, 200_000).map(lambda n: b"[" * n + b"]" * n),
)
PLAN_FILE_JUNK = st.one_of(
    _MISSING,
    st.just(FileArg("dir")),
    st.just(FileArg("under_file")),
    _GARBAGE.map(lambda c: FileArg("file", content=c)),
)
OPEN_PRS_FILE_JUNK = st.one_of(
    _MISSING,
    st.just(FileArg("dir")),
    st.just(FileArg("under_file")),
    st.binary(max_size=16).map(lambda b: FileArg("file", content=b + b"\xff\xfe")),
    OPEN_PRS_JUNK.map(lambda t: FileArg("file", content=t.encode())),
)
HUGE_NAME = HUGE_TEXT.map(lambda n: FileArg("new", name=n.replace("/", "_")))
# --out of `package lambdas` is a directory; --out of `docs data-flows` and --metrics-file are files
OUT_DIR_JUNK = st.one_of(st.just(FileArg("file", content=b"x")), st.just(FileArg("under_file")), HUGE_NAME)
OUT_FILE_JUNK = st.one_of(st.just(FileArg("dir")), st.just(FileArg("under_file")), HUGE_NAME)
METRICS_JUNK = st.one_of(OUT_FILE_JUNK, st.just(FileArg("missing", name="no-such-dir/m.prom")))
CI_PATH_JUNK = st.one_of(
    _MISSING, st.just(FileArg("file", content=b"x")), st.just(FileArg("dir")), st.just(FileArg("under_file"))
)

_SECRET_ASSIGNMENTS = (
    "DB_PASSWORD=x",
    "API_KEY=x",
    "GITHUB_TOKEN=x",
    "APP_VERSION=1",
    "PORT=80",
    "INFRA_CONFIG_NAMES=X",
    "AWS_ID=AKIAABCDEFGHIJKLMNOP",
    "DSN=postgres://user:pw@db/x",
    "X=password=hunter2",
    "X=-----BEGIN RSA PRIVATE KEY-----",
    "LOG_LEVEL=",
)
_BAD_ASSIGNMENT = st.one_of(
    NAME_JUNK.filter(lambda v: "=" not in v),  # no '=' at all
    NAME_JUNK.filter(lambda v: "=" not in v).map(lambda n: f"{n}=x"),
    st.sampled_from(_SECRET_ASSIGNMENTS),
    st.one_of(CONTROL_TEXT, NON_UTF8_TEXT, HUGE_TEXT).map(lambda v: f"LOG_LEVEL={v}"),
)
ASSIGNMENTS_JUNK = st.one_of(
    _BAD_ASSIGNMENT.map(lambda bad: ["FEATURE_X=on", bad]),
    st.just(["LOG_LEVEL=a", "LOG_LEVEL=b"]),  # the same name twice
)
_BAD_ATTR = st.one_of(
    st.sampled_from(["message", "=x", "nope=1", "enabled=true", "message="]),
    st.one_of(CONTROL_TEXT, NON_UTF8_TEXT, UNICODE_TEXT, HUGE_TEXT, st.just("x" * 201)).map(
        lambda v: f"message={v}"
    ),
)


def _cdn_paths_junk() -> st.SearchStrategy[list[str]]:
    bad = st.one_of(
        junk_text("index.html", " /x").filter(lambda v: not v.startswith("/")),
        st.sampled_from(["/a b", "/a\tb", "/a*b", "/" + "x" * 4000, "/a\x7f"]),
        st.one_of(CONTROL_TEXT, NON_UTF8_TEXT).map(lambda v: "/" + v),
    )
    return st.one_of(
        bad.map(lambda p: ["/index.html", p]),
        st.just([f"/p{i}" for i in range(3001)]),
        st.just([f"/w{i}/*" for i in range(16)]),
    )


def _docs_plan_files_junk() -> st.SearchStrategy[list[object]]:
    """The three ENV=PATH options with one of them broken."""
    valid: list[object] = [FileArg("plan", prefix=f"{e}=") for e in ENV_NAMES]
    bad = st.one_of(
        st.sampled_from(["devplan.json", "=plan.json", "dev="]),
        ENV_JUNK.filter(lambda e: "=" not in e).map(lambda e: FileArg("plan", prefix=f"{e}=")),
        PLAN_FILE_JUNK.map(lambda f: FileArg(f.kind, f.content, f.name, prefix="staging=")),
    )
    replaced = st.tuples(st.integers(0, 2), bad).map(lambda t: [*valid[: t[0]], t[1], *valid[t[0] + 1 :]])
    # dev twice is added, not put in a slot: in dev's own slot it was the valid list again
    return st.one_of(replaced, st.just([*valid, FileArg("plan", prefix="dev=")]))


@dataclass(frozen=True)
class Param:
    """A valid value of an argument (a list: every value of a repeatable one) and junk for it."""

    valid: list[object]
    junk: st.SearchStrategy[list[object]] | None
    note: str = ""  # why there is no junk


def _lock_id_ok(value: str) -> bool:
    """Terraform's lock ids are UUIDs in their canonical 8-4-4-4-12 hex form."""
    parts = value.split("-")
    return [len(p) for p in parts] == [8, 4, 4, 4, 12] and all(c in string.hexdigits for c in "".join(parts))


def _one(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[list[object]]:
    return strategy.map(lambda v: [v])


_DATE_JUNK = junk_text("2026-13-01", "2026-02-30", "next tuesday", "26-01-01", "2026/01/01").filter(
    lambda v: not _parses(dt.date.fromisoformat, v)
)
_INT_PR_JUNK = _number_junk(int, "0", "-3", "1000000", "99999999999999999999")

# "<command path> <parameter>" first, then "<parameter>"
PARAMS: dict[str, Param] = {
    "env": Param(["dev"], _one(ENV_JUNK)),
    "target": Param(
        ["local"],
        _one(junk_text("LOCAL", "Local", "aws ", "gcp").filter(lambda v: v not in ("local", "aws"))),
    ),
    "image": Param(["ngapp-dev/api:3f2a9c1"], _one(IMAGE_JUNK)),
    "timeout": Param(["30"], _one(POSITIVE_FLOAT_JUNK)),
    "to": Param(
        ["r000001"],
        _one(
            junk_text("0", "1000000", "r1", "R000001", "²", "r00000²", "-1").filter(
                lambda v: not _release_ok(v)
            )
        ),
    ),
    "limit": Param(["5"], _one(_number_junk(int, "0", "-5"))),
    "smoke url": Param(
        ["http://127.0.0.1:9"],
        _one(
            junk_text(
                "ftp://h",
                "http://",
                "http://h:99999",
                "http://h/?q=1",
                "http://h/#x",
                "http://h /",
                "//h",
                "http://h:0",
            ).filter(lambda v: not _url_ok(v, base=True))
        ),
    ),
    "smoke version": Param(["1.0.0"], _one(TAG_JUNK)),
    "outcome": Param(
        ["passed"],
        _one(junk_text("PASSED", "pass", "ok", "failed ").filter(lambda v: v not in ("passed", "failed"))),
    ),
    "integration record url": Param(
        ["https://ci.example/runs/1"],
        _one(
            junk_text("ftp://h", "http://", "not a url", "http://h/\n", "javascript:x").filter(
                lambda v: v != "" and not _url_ok(v, base=False)
            )
        ),
    ),
    # `pr-N` is a preview's lock for unlock (commands/unlock.py), junk for every other --env
    "unlock env": Param(["dev"], _one(ENV_JUNK.filter(lambda v: not re.fullmatch(r"pr-[1-9][0-9]{0,5}", v)))),
    "unlock lock_id": Param(
        ["0b1c2d3e-0000-4000-8000-000000000000"],
        _one(
            junk_text(
                "0b1c2d3e-0000-4000-8000-00000000000",
                "0b1c2d3e000040008000000000000000",
                "{0b1c2d3e-0000-4000-8000-000000000000}",
                "0b1c2d3e-0000-4000-8000-000000000000\n",
                "0b1c2d3e-0000-4000-8000-00000000000g",
            ).filter(lambda v: not _lock_id_ok(v))
        ),
    ),
    "plan_json": Param([PLAN], _one(PLAN_FILE_JUNK)),
    "as_of": Param(["2026-01-01"], _one(_DATE_JUNK)),
    "package lambdas out": Param([FileArg("dir")], _one(OUT_DIR_JUNK)),
    "metrics_file": Param([FileArg("new", name="m.prom")], _one(METRICS_JUNK)),
    "instance": Param(
        ["ngapp-dev-db"],
        _one(
            junk_text("1db", "db--x", "db-", "db_x", "a" * 64).filter(
                lambda v: not (INSTANCE_RE.fullmatch(v) and len(v) <= 63)
            )
        ),
    ),
    "regions": Param(
        ["af-south-1"],
        _one(
            st.one_of(
                junk_text("af-south", "AF-SOUTH-1", "af-south-1,", ",", "af-south-1 eu-west-1").filter(
                    lambda v: not all(REGION_RE.fullmatch(p.strip()) for p in v.split(","))
                ),
                st.sampled_from(["zz-fake-9", "af-south-1,zz-fake-9"]),
            )
        ),
    ),
    "plan_file": Param([PLAN], _one(PLAN_FILE_JUNK)),
    "paths": Param(["/index.html"], _cdn_paths_junk()),  # type: ignore[arg-type]
    "plan_files": Param([FileArg("plan", prefix=f"{e}=") for e in ENV_NAMES], _docs_plan_files_junk()),
    "docs data-flows out": Param([FileArg("new", name="flows.md")], _one(OUT_FILE_JUNK)),
    "path": Param([FileArg("ci_project")], _one(CI_PATH_JUNK)),
    "pr": Param(["12"], _one(_INT_PR_JUNK)),
    "head_sha": Param(
        ["3f2a9c1"],
        _one(junk_text("3f2a9c", "g" * 40, "a" * 65, "HEAD").filter(lambda v: not SHA_RE.fullmatch(v))),
    ),
    "ttl_hours": Param(["72"], _one(POSITIVE_FLOAT_JUNK)),
    "open_prs": Param(["12,15"], _one(OPEN_PRS_JUNK)),
    "open_prs_file": Param([FileArg("file", content=b"12\n15\n")], _one(OPEN_PRS_FILE_JUNK)),
    "name": Param(["LOG_LEVEL"], _one(NAME_JUNK)),
    "assignments": Param(["LOG_LEVEL=debug"], ASSIGNMENTS_JUNK),  # type: ignore[arg-type]
    "unset_names": Param(["OLD_NAME"], _one(NAME_JUNK)),
    "names": Param(["OLD_NAME"], st.lists(NAME_JUNK, min_size=1, max_size=2).map(lambda v: ["OLD_NAME", *v])),  # type: ignore[arg-type]
    "against": Param(["staging"], _one(ENV_JUNK)),
    "flag": Param(
        ["maintenance_banner"],
        _one(
            junk_text("Maintenance_Banner", "maintenance-banner", "nope").filter(
                lambda v: v != "maintenance_banner"
            )
        ),
    ),
    "attrs": Param(["message=Back at 14:00"], _BAD_ATTR.map(lambda bad: ["message=ok", bad])),
}


def param_rule(command: tuple[str, ...], name: str) -> Param | None:
    return PARAMS.get(f"{' '.join(command)} {name}") or PARAMS.get(name)
