"""Junk input: every `infra` command and group, fed generated junk, exits 2 with one error line, no
traceback, and changes nothing: no resource in the emulator, no file of the project (or of the
directories the command was pointed at).

The commands come from the click tree (tests/support/junk_cases.py): a new command or parameter
without a junk strategy fails `test_every_command_has_a_junk_strategy`. Examples run in-process
through `cli.main` (a subprocess each would take the property past its budget);
`test_in_process_equals_the_real_cli` shows that the in-process answer is the real one.

The emulator inventory (S3 objects of the state bucket, SSM parameters, lock items, ECS, KMS,
AppConfig, ...) is compared around each command's 100 examples; the files are compared around each
example.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import HealthCheck, given, settings

from deployment_infra import cli
from deployment_infra.emulator import Emulator, free_port
from tests.conftest import copy_project, run_infra
from tests.support import junk_files as jf
from tests.support.emulator_inventory import Inventory
from tests.support.junk_cases import Path_, cases, command_tree, is_group, materialize, reads, rules

TREE = command_tree()
EXAMPLE_TIMEOUT_S = 60
_ENV = ("INFRA_PROJECT_DIR", "INFRA_EMULATOR_PORT", "INFRA_TARGET", "INFRA_DEBUG")


@dataclass
class World:
    """A bootstrapped project with a configuration value, its own emulator, a copy to damage."""

    project: Path
    damaged: Path
    scratch: Path
    emulator: Emulator
    inventory: Inventory
    last_inventory: dict[str, Any] = field(default_factory=dict)
    reached: list[Path_] = field(default_factory=list)


def _record_reached(world: World) -> Any:
    """Wrap click's make_context: which commands did parsing get to (the junk reached its command)."""
    core = sys.modules[type(TREE[()]).__mro__[1].__module__]
    original = core.Command.make_context

    def make_context(
        self: Any, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        names = []
        ctx = parent
        while ctx is not None:
            names.append(ctx.info_name)
            ctx = ctx.parent
        world.reached.append(tuple(reversed(names))[1:] + ((info_name,) if parent is not None else ()))
        return original(self, info_name, args, parent, **extra)

    core.Command.make_context = make_context
    return lambda: setattr(core.Command, "make_context", original)


def _build_the_tree_once() -> Any:
    """typer rebuilds the click tree from the annotations at every call (75 ms, nine tenths of an
    example's time); the tree is the same every time, so the property builds it once."""
    original = typer.main.get_command
    built: dict[int, Any] = {}

    def get_command(typer_instance: Any) -> Any:
        key = id(typer_instance)
        if key not in built:
            built[key] = original(typer_instance)
        return built[key]

    typer.main.get_command = get_command
    return lambda: setattr(typer.main, "get_command", original)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, terraform_available: str) -> Iterator[World]:
    base = tmp_path_factory.mktemp("junk")
    saved = {k: os.environ.get(k) for k in _ENV}
    project = copy_project(base / "project")
    port = free_port()
    os.environ["INFRA_EMULATOR_PORT"] = str(port)
    for key in ("INFRA_TARGET", "INFRA_DEBUG"):
        os.environ.pop(key, None)
    emu = Emulator(project / ".infra", port)
    emu.ensure_running()
    w = World(project, copy_project(base / "damaged"), base / "scratch", emu, Inventory(emu.url))
    w.scratch.mkdir()
    restore_click, restore_tree = _record_reached(w), _build_the_tree_once()
    try:
        for args in (["bootstrap"], ["config", "set", "--env", "dev", "LOG_LEVEL=info"]):
            result = run_infra(project, *args)
            assert result.returncode == 0, result.stderr[-3000:]
        w.last_inventory = w.inventory.take()
        assert w.last_inventory["af-south-1"]["ssm"], "the configuration value to protect is missing"
        yield w
    finally:
        restore_click()
        restore_tree()
        emu.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def fingerprint(*roots: Path) -> dict[str, tuple[int, int, int]]:
    """Every file and directory under `roots` (mode, size, modification time in ns: a write shows),
    logs excepted (the emulator writes one)."""
    found: dict[str, tuple[int, int, int]] = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in (*dirnames, *filenames):
                if not name.endswith(".log"):
                    st = os.lstat(os.path.join(dirpath, name))
                    found[os.path.join(dirpath, name)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return found


def digest(root: Path) -> dict[str, str]:
    """The files under `root` by content (for the damaged copy, whose restored file is rewritten)."""
    return {
        str(p): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*")
    }


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """A hang fails the example (TimeoutError in the command) instead of the whole run."""

    def fire(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds}s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


class _NoWork(subprocess.Popen):  # type: ignore[type-arg]
    """Junk must be refused before any work: starting terraform, pytest, buildah... fails the example
    (and stops a runaway). git is read-only (`infra ci` asks it where the repository is)."""

    def __init__(self, args: Any, *rest: Any, **kwargs: Any) -> None:
        first = args[0] if isinstance(args, list | tuple) else str(args).split()[0]
        if os.path.basename(str(first)) != "git":
            raise RuntimeError(f"junk input started a process: {first}")
        super().__init__(args, *rest, **kwargs)


def run_in_process(argv: list[str]) -> tuple[int, str, str]:
    """`infra ARGV` through cli.main: (exit code, stdout, stderr); stdin is empty and not a terminal."""
    out, err = io.StringIO(), io.StringIO()
    stdin, popen = sys.stdin, subprocess.Popen
    sys.stdin = io.StringIO("")
    subprocess.Popen = _NoWork  # type: ignore[misc]
    try:
        with redirect_stdout(out), redirect_stderr(err), _deadline(EXAMPLE_TIMEOUT_S):
            code = cli.main(argv)
    finally:
        sys.stdin, subprocess.Popen = stdin, popen  # type: ignore[misc]
    return code, out.getvalue(), err.getvalue()


def check_refused(world: World, path: Path_, case: Any) -> None:
    """Run one case and assert the contract: exit 2, one error line, its command reached, no change."""
    scratch = Path(tempfile.mkdtemp(dir=world.scratch))
    project = world.project
    original: bytes | None = None
    if case.damage is not None and case.damage.file not in (jf.COVERAGE, jf.SECURITY):
        project = world.damaged
        target = project / case.damage.file
        original = target.read_bytes() if target.is_file() else None
        jf.apply(project, case.damage)
    os.environ["INFRA_PROJECT_DIR"] = str(project)
    try:
        argv = materialize(case.argv, scratch, case.damage)
        before = fingerprint(world.project, scratch)
        world.reached.clear()
        code, out, err = run_in_process(argv)
        after = fingerprint(world.project, scratch)
    finally:
        if project is world.damaged and case.damage is not None:
            jf.restore(project, case.damage.file, original)
    lines = [line for line in err.splitlines() if line.strip()]
    shown = f"exit {code}, stderr {err[:2000]!r}, stdout {out[:500]!r}"
    assert "Traceback" not in err and "internal error" not in err, shown
    assert code == 2, shown
    assert len(lines) == 1 and lines[0].startswith("error: "), shown
    assert out == "", shown
    assert path in world.reached, f"the junk never reached `infra {' '.join(path)}` (reached {world.reached})"
    if case.damage is not None:
        assert Path(case.damage.file).name in lines[0], f"the error does not name the damaged file: {shown}"
    changed = sorted(set(before.items()) ^ set(after.items()))
    assert not changed, f"files changed: {changed[:5]}"
    if project is world.damaged:  # nothing written there, and the damage undone
        assert set(fingerprint(world.damaged)) == set(DAMAGED_PRISTINE[0]), (
            "files appeared in the damaged copy"
        )
    shutil.rmtree(scratch, ignore_errors=True)


DAMAGED_PRISTINE: list[dict[str, str]] = []


def test_every_command_has_a_junk_strategy() -> None:
    """Each command's parameters have valid values and junk (or a stated reason for none)."""
    assert len(TREE) > 40, sorted(TREE)
    for path, cmd in TREE.items():
        if not is_group(cmd):
            rules(path, cmd)  # raises NoJunkStrategyError naming the parameter
            assert all(f in jf.RULES for f in reads(path)), path


@pytest.mark.parametrize("path", sorted(TREE), ids=lambda p: " ".join(p) or "infra")
def test_junk_is_refused_and_changes_nothing(world: World, path: Path_) -> None:
    if not DAMAGED_PRISTINE:
        DAMAGED_PRISTINE.append(digest(world.damaged))
    cmd = TREE[path]

    @settings(
        max_examples=100,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=cases(path, cmd))
    def property_(case: Any) -> None:
        check_refused(world, path, case)

    property_()
    assert digest(world.damaged) == DAMAGED_PRISTINE[0], "the damaged copy was not restored"
    now = world.inventory.take()
    before, world.last_inventory = world.last_inventory, now
    assert now == before, f"`infra {' '.join(path)}` junk changed the emulator's resources"


# The same junk through the real entry point (a subprocess, argv as bytes, real stdin/stderr).
REAL_CASES = [
    ["plan", "--env", "../dev"],
    ["config", "set", "--env", "dev", "LOG_LEVEL=\udcff"],
    ["config", "get", "--env", "dev", "LOG\nLEVEL"],
    ["deploy", "--env", "dev", "--image", "ngapp-dev/api:3f2a9c1", "--timeout", "nan"],
    ["rollback", "--env", "dev", "--to", "²"],
    ["preview", "reap", "--open-prs", "12,x"],
    ["flags", "set", "--env", "dev", "maintenance_banner", "--attr", "message=é"],
    ["ci", "lint", "--path", "/nonexistent/" + "p" * 300],
    ["envs", "--json=yes"],
    ["policy", "list", "\\" * 100_000],  # rich's markup escape took minutes over this
    ["integration", "record", "--env", "staging", "--image", "a:b", "--outcome", "passed", "--url", "x\ny"],
]


@pytest.mark.parametrize("argv", REAL_CASES, ids=lambda a: " ".join(a)[:40])
def test_in_process_equals_the_real_cli(world: World, argv: list[str]) -> None:
    os.environ["INFRA_PROJECT_DIR"] = str(world.project)
    code, _, err = run_in_process(argv)
    real = run_infra(world.project, *argv, env={"INFRA_EMULATOR_PORT": str(world.emulator.port)})
    assert (real.returncode, real.stderr.strip()) == (code, err.strip())
    assert code == 2


def test_a_settings_file_damaged_in_the_real_cli_names_it(world: World) -> None:
    jf.apply(world.damaged, jf.Damage(jf.INFRA_TOML, b"[project\n", "bad syntax"))
    try:
        real = run_infra(world.damaged, "status", "--env", "dev")
    finally:
        jf.restore(world.damaged, jf.INFRA_TOML, jf.original_bytes(jf.INFRA_TOML))
    assert real.returncode == 2
    assert "infra.toml" in real.stderr and len(real.stderr.strip().splitlines()) == 1
