"""Drills: the state lock under faults (docs/drills.md, docs/runbooks/state-lock.md).

- terraform SIGKILLed mid-apply: the lock is reported with its holder gone, `infra unlock` releases
  it only after confirmation, and the next `infra up` converges with nothing lost or duplicated;
- a holder that still runs is waited for, never unlocked, even with --yes;
- two concurrent `infra apply` on one environment: exactly one proceeds (the local run lock within
  one checkout, the backend lock between two checkouts: two "machines");
- the emulator SIGKILLed mid-apply: one clear line, and `infra up` restarts and rebuilds it.

The real CLI runs in subprocesses against a project whose environments are a small root
(tests/support/drill_project.py) and an emulator of this module's own. The root's pause step writes
a marker and holds the apply (and the lock) until the test drops a release file, so every kill lands
at a known point.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from deployment_infra.emulator import Emulator
from tests.conftest import own_emulator
from tests.support.drill_project import make_drill_project, set_variables

pytestmark = pytest.mark.integration

REGION = "af-south-1"
STATE_KEY = "environments/dev/terraform.tfstate"
LOCK_TABLE = "ngapp-tf-locks"
PARAMETERS = ("alpha", "beta", "gamma")
DECLARED = {
    *(f'aws_ssm_parameter.this["{name}"]' for name in PARAMETERS),
    "aws_sns_topic.this",
    "terraform_data.settle",
    "terraform_data.pause",
}
SETTLE_S = 22  # > terraform's 20 s persistence interval: the settle step's completion is persisted


@dataclass
class Drill:
    emulator: Emulator
    p1: Path  # the first checkout; the emulator is recorded under it
    p2: Path  # a second checkout of the same project: another "machine" on the same backend
    marks: Path  # where the pause step writes started-<token> and waits for release-<token>
    logs: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, "INFRA_EMULATOR_PORT": str(self.emulator.port)}

    def infra(self, project: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """`infra ARGS` in `project`, without a terminal (stdin is /dev/null)."""
        return subprocess.run(
            [sys.executable, "-m", "deployment_infra.cli", *args],
            cwd=project,
            env={**self.env(), "INFRA_PROJECT_DIR": str(project)},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, project: Path, *args: str) -> Run:
        """`infra ARGS` in the background (output to files: terraform's progress fills pipes)."""
        name = f"{project.name}-{'-'.join(args)}-{time.monotonic_ns()}"
        out, err = self.logs / f"{name}.out", self.logs / f"{name}.err"
        with out.open("w") as stdout, err.open("w") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "deployment_infra.cli", *args],
                cwd=project,
                env={**self.env(), "INFRA_PROJECT_DIR": str(project)},
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
        return Run(proc, out, err)

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.emulator.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    @property
    def bucket(self) -> str:
        record = self.p1 / ".infra" / "local" / "bootstrap" / "backend.json"
        return str(json.loads(record.read_text())["bucket"])

    def lockfile(self) -> dict[str, Any] | None:
        try:
            body = self.client("s3").get_object(Bucket=self.bucket, Key=f"{STATE_KEY}.tflock")["Body"]
        except self.client("s3").exceptions.NoSuchKey:
            return None
        data: dict[str, Any] = json.loads(body.read())
        return data

    def lock_item(self) -> dict[str, Any] | None:
        key = {"LockID": {"S": f"{self.bucket}/{STATE_KEY}"}}
        item: dict[str, Any] | None = (
            self.client("dynamodb").get_item(TableName=LOCK_TABLE, Key=key).get("Item")
        )
        return item

    def state(self) -> dict[str, Any]:
        body = self.client("s3").get_object(Bucket=self.bucket, Key=STATE_KEY)["Body"]
        data: dict[str, Any] = json.loads(body.read())
        return data

    def persisted(self) -> set[str]:
        """Addresses in the state object now (none before the first snapshot)."""
        try:
            return set(state_addresses(self.state()))
        except self.client("s3").exceptions.NoSuchKey:
            return set()

    def pause(self, token: str, seconds: int = 300, *projects: Path) -> None:
        """The next apply of `projects` (default p1) replaces the pause step and holds for `seconds`."""
        for project in projects or (self.p1,):
            set_variables(project, "dev", {"pause_token": token, "pause_seconds": seconds})

    def release(self, token: str) -> None:
        (self.marks / f"release-{token}").touch()


@dataclass
class Run:
    proc: subprocess.Popen[bytes]
    out: Path
    err: Path

    def wait(self, timeout: float) -> tuple[int, str]:
        code = self.proc.wait(timeout=timeout)
        return code, self.err.read_text()


def state_addresses(state: dict[str, Any]) -> dict[str, str]:
    """Managed resources in a raw state file: address -> id."""
    found: dict[str, str] = {}
    for res in state.get("resources", []):
        if res.get("mode") != "managed":
            continue
        for inst in res.get("instances", []):
            key = inst.get("index_key")
            suffix = "" if key is None else f"[{json.dumps(key)}]"
            found[f"{res['type']}.{res['name']}{suffix}"] = inst["attributes"]["id"]
    return found


def wait_for(what: str, check: Callable[[], object], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s waiting for {what}"
        time.sleep(0.5)


def one_error(result: subprocess.CompletedProcess[str] | tuple[int, str], code: int = 1) -> str:
    """The exit code is `code` and stderr has exactly one error line and no traceback."""
    rc, stderr = (
        (result.returncode, result.stderr) if isinstance(result, subprocess.CompletedProcess) else result
    )
    assert rc == code, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    return errors[0]


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def comm(pid: int) -> str:
    return Path(f"/proc/{pid}/comm").read_text().strip()


def assert_converged(drill: Drill, project: Path) -> None:
    """A second plan has nothing to do, and what the state holds is what the emulator holds: every
    resource the root declares, once, with nothing left over outside the state."""
    plan = json.loads(ok(drill.infra(project, "plan", "--env", "dev", "--json")).stdout)
    assert set(plan["changes"]) <= {"no-op"}, plan["changes"]
    in_state = state_addresses(drill.state())
    assert set(in_state) == DECLARED, in_state
    params = drill.client("ssm").get_parameters_by_path(Path="/ngapp/dev/drill", Recursive=True)["Parameters"]
    names = sorted(p["Name"] for p in params)
    assert names == sorted(in_state[f'aws_ssm_parameter.this["{n}"]'] for n in PARAMETERS), names
    topics = [
        t["TopicArn"]
        for t in drill.client("sns").list_topics()["Topics"]
        if ":ngapp-dev-drill-" in t["TopicArn"]
    ]
    assert topics == [in_state["aws_sns_topic.this"]], topics


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory, terraform_available: str) -> Iterator[Drill]:
    base = tmp_path_factory.mktemp("state-drills")
    marks, logs = base / "marks", base / "logs"
    marks.mkdir()
    logs.mkdir()
    projects = [make_drill_project(base / name) for name in ("p1", "p2")]
    for project in projects:
        set_variables(project, "dev", {"drill_dir": str(marks), "settle_seconds": 0, "pause_seconds": 0})
    with own_emulator(projects[0] / ".infra") as emulator:
        try:
            yield Drill(emulator, projects[0], projects[1], marks, logs)
        finally:
            for started in marks.glob("started-*"):  # lets a pause step orphaned by a kill end now
                (marks / started.name.replace("started-", "release-")).touch()


def share_backend(drill: Drill) -> None:
    """p2 uses the emulator and the state backend p1 set up, as a second machine would."""
    for rel in (Path("local") / "bootstrap" / "backend.json", Path(f"emulator-{drill.emulator.port}.json")):
        (drill.p2 / ".infra" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(drill.p1 / ".infra" / rel, drill.p2 / ".infra" / rel)


def test_terraform_killed_mid_apply_is_unlocked_only_when_confirmed_and_converges(drill: Drill) -> None:
    set_variables(drill.p1, "dev", {"settle_seconds": SETTLE_S})
    drill.pause("a")
    up = drill.start(drill.p1, "up", "--env", "dev")
    wait_for("the pause step", (drill.marks / "started-a").exists, timeout=400)
    expected = DECLARED - {"terraform_data.pause"}
    wait_for("terraform's mid-apply state snapshot", lambda: drill.persisted() == expected, timeout=60)
    holder = json.loads((drill.p1 / ".infra" / "local" / "dev" / "lock-holder.json").read_text())
    assert holder["command"] == "terraform apply" and holder["infra_pid"] == up.proc.pid
    assert comm(holder["terraform_pid"]) == "terraform"
    os.kill(holder["terraform_pid"], signal.SIGKILL)

    line = one_error(up.wait(timeout=120))
    assert "terraform apply on environment dev was killed (SIGKILL)" in line, line
    lock = drill.lockfile()
    assert lock is not None and drill.lock_item() is not None, "a killed apply leaves its lock behind"
    lock_id = lock["ID"]

    line = one_error(drill.infra(drill.p1, "plan", "--env", "dev"))
    assert f"lock id {lock_id}" in line and "its holder is gone" in line, line
    assert f"`infra unlock --env dev {lock_id}`" in line, line

    # no terminal, no --yes: refused, nothing changed
    line = one_error(drill.infra(drill.p1, "unlock", "--env", "dev"), code=2)
    assert "needs confirmation" in line, line
    assert (drill.lockfile() or {}).get("ID") == lock_id
    # an id that is not the current lock: refused, nothing changed
    other_id = "0badc0de-0000-4000-8000-000000000000"
    line = one_error(drill.infra(drill.p1, "unlock", "--env", "dev", "--yes", other_id), code=2)
    assert f"lock {other_id} is not the current lock on dev ({lock_id}" in line, line
    assert (drill.lockfile() or {}).get("ID") == lock_id

    released = json.loads(
        ok(drill.infra(drill.p1, "unlock", "--env", "dev", lock_id, "--yes", "--json")).stdout
    )
    assert released["released"] is True and released["holder"] == "gone" and released["lock"]["id"] == lock_id
    assert drill.lockfile() is None and drill.lock_item() is None  # the S3 lockfile and the table item
    again = json.loads(ok(drill.infra(drill.p1, "unlock", "--env", "dev", "--json")).stdout)
    assert again["lock"] is None and again["released"] is False  # idempotent

    drill.release("a")  # the pause step's shell outlives its killed terraform
    set_variables(drill.p1, "dev", {"settle_seconds": 0, "pause_seconds": 0})
    ok(drill.infra(drill.p1, "up", "--env", "dev"))
    assert_converged(drill, drill.p1)


def test_a_running_holder_is_waited_for_and_never_unlocked(drill: Drill) -> None:
    share_backend(drill)
    drill.pause("b")
    ok(drill.infra(drill.p1, "plan", "--env", "dev"))
    apply = drill.start(drill.p1, "apply", "--env", "dev")
    wait_for("the pause step", (drill.marks / "started-b").exists, timeout=180)
    lock_id = (drill.lockfile() or {}).get("ID")
    terraform_pid = json.loads((drill.p1 / ".infra" / "local" / "dev" / "lock-holder.json").read_text())[
        "terraform_pid"
    ]

    # from another checkout (past the local run lock): refused, even with --yes
    line = one_error(drill.infra(drill.p2, "unlock", "--env", "dev", "--yes"))
    assert "refused, nothing changed" in line and f"running terraform (pid {terraform_pid}" in line, line
    assert (drill.lockfile() or {}).get("ID") == lock_id and drill.lock_item() is not None
    line = one_error(drill.infra(drill.p2, "plan", "--env", "dev"))
    assert f"lock id {lock_id}" in line and f"by a running terraform (pid {terraform_pid}" in line, line
    assert "wait for it to finish" in line and str(drill.p1) in line, line

    drill.release("b")
    code, stderr = apply.wait(timeout=180)
    assert code == 0, stderr
    assert drill.lockfile() is None and drill.lock_item() is None


def test_two_concurrent_applies_exactly_one_proceeds(drill: Drill) -> None:
    share_backend(drill)
    drill.pause("c", 300, drill.p1, drill.p2)
    for project in (drill.p1, drill.p2):  # one after the other: a plan takes the lock too
        ok(drill.infra(project, "plan", "--env", "dev"))
    runs = {project: drill.start(project, "apply", "--env", "dev") for project in (drill.p1, drill.p2)}

    # (ii) two checkouts (two machines): the backend lock lets exactly one through
    wait_for("one apply to give up", lambda: any(r.proc.poll() is not None for r in runs.values()), 180)
    [(loser, lost)] = [(p, r) for p, r in runs.items() if r.proc.poll() is not None]
    [(winner, won)] = [(p, r) for p, r in runs.items() if p != loser]
    line = one_error(lost.wait(timeout=5))
    assert "is locked" in line and "by a running terraform" in line and "wait for it to finish" in line, line
    wait_for("the winner's pause step", (drill.marks / "started-c").exists, timeout=180)

    # (i) within one checkout: the run lock refuses a second apply at once, before terraform runs
    began = time.monotonic()
    line = one_error(drill.infra(winner, "apply", "--env", "dev"))
    assert f"another infra run (pid {won.proc.pid}, `infra apply --env dev`) is working on dev" in line, line
    assert time.monotonic() - began < 30

    drill.release("c")
    code, stderr = won.wait(timeout=180)
    assert code == 0, stderr
    assert drill.lockfile() is None and drill.lock_item() is None
    state = drill.state()
    pause = next(r for r in state["resources"] if r["type"] == "terraform_data" and r["name"] == "pause")
    assert pause["instances"][0]["attributes"]["triggers_replace"]["value"] == ["c"]
    assert_converged(drill, loser)  # the loser's checkout plans nothing: the winner's apply is whole


def test_emulator_killed_mid_apply_is_one_clear_error_and_up_rebuilds(drill: Drill) -> None:
    drill.pause("d")
    ok(drill.infra(drill.p1, "plan", "--env", "dev"))
    apply = drill.start(drill.p1, "apply", "--env", "dev")
    wait_for("the pause step", (drill.marks / "started-d").exists, timeout=180)
    killed = drill.emulator.recorded_pid()
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    drill.release("d")  # terraform goes on, and finds nobody to save its state to

    line = one_error(apply.wait(timeout=300))
    assert "the AWS endpoint refused the connection" in line and "emulator" in line, line

    # the emulator is in memory: a restart is empty; `up` starts it, bootstraps and rebuilds dev
    ok(drill.infra(drill.p1, "up", "--env", "dev"))
    assert drill.emulator.recorded_pid() not in (None, killed)
    assert_converged(drill, drill.p1)
