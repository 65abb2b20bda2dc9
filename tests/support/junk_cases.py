"""Junk command lines for every `infra` command, derived from the click tree so new commands and
parameters are covered (or fail for want of a junk strategy), and their materialisation on disk.

A case is one defect: an unknown option or sub-command, a missing or value-less option, a flag given
a value, an extra argument, one parameter's junk value (everything else valid), or one damaged
project file with an otherwise valid command line.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from hypothesis import strategies as st

from deployment_infra.cli import app
from tests.support import junk_files as jf
from tests.support.junk_values import REPO_PLAN, FileArg, Param, junk_text, param_rule

Command = Any  # typer's vendored click Command (TyperGroup / TyperCommand)
Path_ = tuple[str, ...]

# The files a command reads before it does anything (after its arguments): infra.toml and the transfer
# register through the settings, plus its own. `infra ci` reads ci/ of the directory it checks.
SETTINGS_FILES = (jf.INFRA_TOML, jf.REGISTER)
READS: dict[Path_, tuple[str, ...]] = {
    ("policy", "list"): (),
    **{("ci", s): (jf.COVERAGE, jf.SECURITY) for s in ("lint", "test", "security", "build")},
    **{("flags", s): (*SETTINGS_FILES, jf.FLAG_SCHEMA) for s in ("list", "enable", "disable", "set")},
    ("deploy",): (*SETTINGS_FILES, jf.SMOKE, jf.PROMOTION),
    ("rollback",): (*SETTINGS_FILES, jf.SMOKE),
    ("smoke",): (*SETTINGS_FILES, jf.SMOKE),
    ("ops", "cost-report"): (*SETTINGS_FILES, jf.PRICES),
}
# Valid options always given, so that a defect that slipped through would fail fast instead of
# planning every environment or probing a service (it still fails the property), and never runs on
# a default that is real: `infra ci test` without --path tests the current directory, the repository.
ALWAYS: dict[Path_, tuple[str, ...]] = {
    **{("ci", s): ("path",) for s in ("lint", "test", "security", "build")},
    ("docs", "data-flows"): ("plan_files",),
    ("ops", "cost-report"): ("plan_file",),
    ("smoke",): ("url", "version"),
}
# With a damaged file the rest of the command line must be valid, these optional arguments included
# (without them the command refuses the command line, not the file).
DAMAGE_BASE: dict[Path_, tuple[str, ...]] = {
    ("config", "set"): ("assignments",),
    ("flags", "set"): ("attrs",),
}
CONFLICTS: dict[Path_, tuple[str, str]] = {("preview", "reap"): ("open_prs", "open_prs_file")}


class NoJunkStrategyError(AssertionError):
    """A command or parameter the property does not know how to feed junk to."""


def command_tree() -> dict[Path_, Command]:
    """Every command and group of the `infra` app by path (() is `infra` itself)."""
    found: dict[Path_, Command] = {}

    def walk(cmd: Command, path: Path_) -> None:
        found[path] = cmd
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


def is_group(cmd: Command) -> bool:
    return hasattr(cmd, "commands")


def _is_flag(p: Any) -> bool:
    return p.param_type_name == "option" and bool(getattr(p, "is_flag", False))


def rules(path: Path_, cmd: Command) -> dict[str, Param]:
    """The Param of each non-flag parameter of `cmd`; NoJunkStrategyError names the first one missing."""
    found: dict[str, Param] = {}
    for p in cmd.params:
        if _is_flag(p):
            continue
        rule = param_rule(path, p.name)
        if rule is None:
            raise NoJunkStrategyError(
                f"`infra {' '.join(path)}`: no valid value or junk for parameter {p.name!r}"
            )
        found[p.name] = rule
    return found


def reads(path: Path_) -> tuple[str, ...]:
    return READS.get(path, SETTINGS_FILES)


@dataclass(frozen=True)
class Case:
    path: Path_
    kind: str
    argv: list[object]  # str or FileArg
    damage: jf.Damage | None = None
    notes: dict[str, object] = field(default_factory=dict)

    def __repr__(self) -> str:
        shown = [
            repr(a) if len(repr(a)) < 120 else repr(a)[:100] + f"...({len(repr(a))} chars)" for a in self.argv
        ]
        return f"Case({self.kind}, argv=[{', '.join(shown)}], damage={self.damage!r})"


def _options(cmd: Command) -> set[str]:
    names = {"--help"}
    for p in cmd.params:
        names.update(p.opts)
        names.update(p.secondary_opts)
    return names


def _emit(
    draw: st.DrawFn, path: Path_, cmd: Command, values: Mapping[str, Sequence[object]], flags: set[str]
) -> tuple[list[object], list[object]]:
    """(options, positionals) for `values` (name -> its values) and the flags (option strings) set."""
    options: list[list[object]] = [[f] for f in flags]
    positionals: list[object] = []
    for p in cmd.params:
        if p.name not in values or _is_flag(p):
            continue
        if p.param_type_name == "argument":
            positionals.extend(values[p.name])
            continue
        for value in values[p.name]:
            text = isinstance(value, str)
            if text and (value == "" or value.startswith("-") or draw(st.booleans())):
                options.append([f"{p.opts[0]}={value}"])
            else:
                options.append([p.opts[0], value])
    order = draw(st.permutations(range(len(options)))) if options else []
    return [t for i in order for t in options[i]], positionals


def _join(path: Path_, options: list[object], positionals: list[object]) -> list[object]:
    dash = any(isinstance(v, str) and v.startswith("-") for v in positionals)
    return [*path, *options, *(["--"] if dash else []), *positionals]


def _unknown_option(cmd: Command, word: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    long = word.map(lambda w: "--" + w).filter(lambda o: o.split("=")[0] not in _options(cmd))
    short = st.sampled_from("ABCDGHIJKLMNOPQRSTUVWXZ").map(lambda c: "-" + c)  # ours are lower-case
    return st.one_of(long, short)


def _group_case(draw: st.DrawFn, path: Path_, cmd: Command, word: st.SearchStrategy[str]) -> Case:
    kind = draw(st.sampled_from(["unknown_subcommand", "unknown_option"]))
    if kind == "unknown_subcommand":
        name = draw(word.filter(lambda w: w not in cmd.commands and not w.startswith("-")))
        return Case(path, kind, [*path, name])
    return Case(path, kind, [*path, draw(_unknown_option(cmd, word))])


def _kinds(path: Path_, cmd: Command, params: Mapping[str, Param]) -> list[str]:
    """The defects that apply to `cmd` (param and damage twice: they reach the most code)."""
    by_name = {p.name: p for p in cmd.params}
    kinds = ["unknown_option"]
    kinds += ["param", "param"] if any(rule.junk is not None for rule in params.values()) else []
    kinds += ["missing_required"] if any(by_name[n].required for n in params) else []
    kinds += (
        []
        if any(p.param_type_name == "argument" and p.nargs == -1 for p in cmd.params)
        else ["extra_argument"]
    )
    kinds += ["flag_with_value"] if any(_is_flag(p) for p in cmd.params) else []
    kinds += ["option_without_value"] if any(by_name[n].param_type_name == "option" for n in params) else []
    kinds += ["damage", "damage"] if reads(path) else []
    return kinds


def _valid(
    draw: st.DrawFn, path: Path_, cmd: Command, params: Mapping[str, Param], kind: str
) -> tuple[dict[str, list[object]], set[str]]:
    """Valid values: required and always-given parameters, some optional ones; some flags."""
    by_name = {p.name: p for p in cmd.params}
    given = (*ALWAYS.get(path, ()), *(DAMAGE_BASE.get(path, ()) if kind == "damage" else ()))
    values: dict[str, list[object]] = {}
    for name, rule in params.items():
        if by_name[name].required or name in given or (kind != "damage" and draw(st.booleans())):
            values[name] = list(rule.valid)
    pair = CONFLICTS.get(path)
    if pair and all(n in values for n in pair):
        del values[draw(st.sampled_from(pair))]
    flags = {
        p.opts[0] if not p.secondary_opts or draw(st.booleans()) else p.secondary_opts[0]
        for p in cmd.params
        if _is_flag(p) and draw(st.booleans())
    }
    return values, flags


@st.composite
def cases(draw: st.DrawFn, path: Path_, cmd: Command) -> Case:
    """One junk command line for `infra <path>`."""
    word = junk_text().filter(lambda w: w != "" and "\x00" not in w)
    if is_group(cmd):
        return _group_case(draw, path, cmd, word)
    params = rules(path, cmd)
    kind = draw(st.sampled_from(_kinds(path, cmd, params)))
    values, flags = _valid(draw, path, cmd, params, kind)
    notes: dict[str, object] = {}
    damage = None
    extra: list[object] = []
    inserted: str | None = None
    if kind == "param":
        name = draw(st.sampled_from([n for n, rule in params.items() if rule.junk is not None]))
        values[name] = draw(params[name].junk)  # type: ignore[arg-type]
        pair = CONFLICTS.get(path, ())
        if name in pair:  # the junk, not the conflict, must be what is refused
            values.pop(pair[1 - pair.index(name)], None)
        notes["param"] = name
    elif kind == "missing_required":
        name = draw(st.sampled_from([p.name for p in cmd.params if p.required]))
        del values[name]
        notes["param"] = name
    elif kind == "extra_argument":
        for p in cmd.params:
            if p.param_type_name == "argument" and p.name not in values:
                values[p.name] = list(params[p.name].valid)
        extra = [draw(word)]
    elif kind == "flag_with_value":
        flag = draw(st.sampled_from([p for p in cmd.params if _is_flag(p)]))
        flags.discard(flag.opts[0])
        inserted = f"{flag.opts[0]}={draw(junk_text())}"
    elif kind == "unknown_option":
        inserted = draw(_unknown_option(cmd, word))
    elif kind == "damage":
        damage = draw(jf.damages(draw(st.sampled_from(reads(path)))))

    options, positionals = _emit(draw, path, cmd, values, flags)
    if inserted is not None:
        options.insert(draw(st.integers(0, len(options))), inserted)
    argv = _join(path, options, [*positionals, *extra])
    if kind == "option_without_value":
        if "--" in argv:  # a trailing option would be an argument: drop the separator's arguments
            argv = argv[: argv.index("--")]
        by_name = {p.name: p for p in cmd.params}
        option = draw(st.sampled_from([by_name[n] for n in params if by_name[n].param_type_name == "option"]))
        argv.append(option.opts[0])
    if damage is not None and damage.file in (jf.COVERAGE, jf.SECURITY):  # in the --path directory
        argv = [FileArg("ci_project", name=damage.file) if isinstance(a, FileArg) else a for a in argv]
    return Case(path, kind, argv, damage, notes)


# -- on disk ----------------------------------------------------------------------------------------
_counter = itertools.count()


def _ci_project(where: Path, damage: jf.Damage | None) -> Path:
    """A directory every `infra ci` stage applies to: a Python project with a Dockerfile and ci/."""
    where.mkdir(parents=True)
    (where / "pyproject.toml").write_text('[project]\nname = "junk"\nversion = "0"\n')
    (where / "Dockerfile").write_text("FROM scratch\n")
    for file in (jf.COVERAGE, jf.SECURITY):
        (where / file).parent.mkdir(exist_ok=True)
        (where / file).write_bytes(jf.original_bytes(file))
    if damage is not None:
        jf.apply(where, damage)
    return where


def materialize(argv: list[object], scratch: Path, damage: jf.Damage | None) -> list[str]:
    """The command line with each FileArg made real under `scratch`."""
    result: list[str] = []
    for arg in argv:
        if isinstance(arg, str):
            result.append(arg)
            continue
        assert isinstance(arg, FileArg)
        n = next(_counter)
        if arg.kind == "plan":
            path = scratch / f"plan-{n}.json"
            shutil.copyfile(REPO_PLAN, path)
        elif arg.kind == "file":
            path = scratch / f"file-{n}"
            path.write_bytes(arg.content)
        elif arg.kind == "dir":
            path = scratch / f"dir-{n}"
            path.mkdir()
        elif arg.kind == "missing":
            path = scratch / f"missing-{n}" / arg.name
        elif arg.kind == "under_file":
            (scratch / f"afile-{n}").write_bytes(b"x")
            path = scratch / f"afile-{n}" / "below"
        elif arg.kind == "new":
            (scratch / f"new-{n}").mkdir()
            path = scratch / f"new-{n}" / arg.name
        elif arg.kind == "ci_project":
            path = _ci_project(scratch / f"ci-{n}", damage if damage and damage.file == arg.name else None)
        else:
            raise AssertionError(f"unknown FileArg kind {arg.kind}")
        result.append(arg.prefix + str(path))
    return result
