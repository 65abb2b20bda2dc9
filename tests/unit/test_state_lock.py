"""Who holds a state lock, and the per-environment run lock: with real processes and files.

A process called `terraform` here is a copy of sleep(1) under that name (the kernel names a process
after its executable), started with the TF_DATA_DIR infra gives terraform.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from deployment_infra import lock_holders as lh
from deployment_infra import state_lock as sl
from deployment_infra import terraform as tf
from deployment_infra.emulator import free_port
from deployment_infra.errors import InfraError
from tests.conftest import copy_project, run_infra

STATE = "ngapp-tfstate-123456789012-af-south-1/environments/dev/terraform.tfstate"
ENDPOINT = "http://127.0.0.1:45999"
ME = lh.me()


def lock(who: str = f"{ME[0]}@{ME[1]}", age_s: float = 5.0, lock_id: str = "6f1c2a7e-3d4b") -> sl.LockInfo:
    created = datetime.now(UTC) - timedelta(seconds=age_s)
    return sl.LockInfo(id=lock_id, who=who, operation="OperationTypeApply", created=created, path=STATE)


def no_client(service: str, region: str) -> Any:
    raise AssertionError("these tests never reach AWS")


def ref(work: Path, target: str = "local") -> sl.LockRef:
    return sl.LockRef(
        environment="dev",
        target=target,
        client=no_client,
        bucket=STATE.split("/", 1)[0],
        key=STATE.split("/", 1)[1],
        region="af-south-1",
        table="ngapp-tf-locks",
        endpoint=ENDPOINT,
        work=work,
    )


class FakeTerraform:
    """A live process named terraform whose work dir holds infra's holder record."""

    def __init__(self, tmp: Path, name: str = "terraform") -> None:
        self.work = tmp / "checkout" / ".infra" / "local" / "dev"
        exe = tmp / "bin" / name
        exe.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(shutil.which("sleep") or "/bin/sleep", exe)
        env = {**os.environ, "TF_DATA_DIR": str(self.work / "tf-data")}
        self.proc = subprocess.Popen([str(exe), "120"], env=env)
        self.recorder = lh.HolderRecorder(self.work / lh.HOLDER_FILE, STATE, ENDPOINT)
        self.recorder.started("apply", self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@pytest.fixture
def terraform(tmp_path: Path) -> Iterator[FakeTerraform]:
    fake = FakeTerraform(tmp_path)
    yield fake
    fake.stop()


def test_lock_times_in_both_of_terraforms_formats() -> None:
    json_form = sl.parse_created("2026-11-28T19:40:00.123456789Z")
    text_form = sl.parse_created("2026-11-28 19:40:00.123 +0000 UTC")
    assert json_form == datetime(2026, 11, 28, 19, 40, 0, 123456, tzinfo=UTC)
    assert text_form == datetime(2026, 11, 28, 19, 40, 0, 123000, tzinfo=UTC)
    assert sl.parse_created("2026-11-28T21:40:00+02:00") == datetime(2026, 11, 28, 19, 40, tzinfo=UTC)
    assert sl.parse_created("yesterday") is None and sl.parse_created(None) is None


def test_lock_info_from_terraforms_json() -> None:
    info = sl.LockInfo.from_json(
        {
            "ID": "abc-123",
            "Operation": "OperationTypePlan",
            "Who": "ci@runner-7",
            "Created": "2026-01-02T03:04:05Z",
        }
    )
    assert info is not None
    assert (info.user, info.host, info.verb, info.since) == (
        "ci",
        "runner-7",
        "plan",
        "2026-01-02 03:04:05 UTC",
    )
    assert sl.LockInfo.from_json({"Who": "x@y"}) is None and sl.LockInfo.from_json("junk") is None


def test_the_holder_record_names_the_terraform_process(terraform: FakeTerraform) -> None:
    holder = lh.Holder.read(terraform.work / lh.HOLDER_FILE)
    assert holder is not None
    assert holder.terraform_pid == terraform.proc.pid and holder.infra_pid == os.getpid()
    assert (holder.user, holder.host) == ME and holder.command == "terraform apply"
    assert holder.state == STATE and holder.endpoint == ENDPOINT
    terraform.recorder.ended()
    assert not (terraform.work / lh.HOLDER_FILE).exists()


def test_a_running_holder_is_found_from_this_and_from_another_checkout(
    terraform: FakeTerraform, tmp_path: Path
) -> None:
    for work in (terraform.work, tmp_path / "other" / ".infra" / "local" / "dev"):
        verdict = sl.assess(ref(work), lock())
        assert verdict.status is sl.Status.RUNNING, verdict
        assert verdict.holder is not None and verdict.holder.terraform_pid == terraform.proc.pid
    message = sl.describe(sl.assess(ref(tmp_path / "x" / ".infra" / "local" / "dev"), lock()), ref(tmp_path))
    assert f"by a running terraform (pid {terraform.proc.pid}" in message and "wait for it" in message
    assert f"in {tmp_path / 'checkout'}" in message  # which checkout runs it


def test_a_holder_that_died_is_gone_and_its_left_record_is_named(terraform: FakeTerraform) -> None:
    terraform.stop()  # as if terraform were killed and infra too: the record stays behind
    verdict = sl.assess(ref(terraform.work), lock())
    assert verdict.status is sl.Status.GONE
    assert f"pid {terraform.proc.pid}" in verdict.reason and "no longer running" in verdict.reason
    message = sl.describe(verdict, ref(terraform.work))
    assert message.endswith("release it with `infra unlock --env dev 6f1c2a7e-3d4b`"), message
    assert "--target aws" in sl.describe(verdict, ref(terraform.work, target="aws"))


def test_a_lock_taken_here_without_any_record_is_gone(tmp_path: Path) -> None:
    verdict = sl.assess(ref(tmp_path / "w"), lock())
    assert verdict.status is sl.Status.GONE and "no terraform on this machine" in verdict.reason


def test_a_reused_pid_is_not_the_holder(tmp_path: Path) -> None:
    # the pid is alive but runs something else (here: sleep under its own name)
    other = FakeTerraform(tmp_path, name="sleep")
    try:
        assert not lh.is_running(other.proc.pid, None)
        assert sl.assess(ref(other.work), lock()).status is sl.Status.GONE
    finally:
        other.stop()


def test_a_terraform_with_another_start_time_is_not_the_holder(terraform: FakeTerraform) -> None:
    record = lh.Holder.read(terraform.work / lh.HOLDER_FILE)
    assert record is not None and record.terraform_start is not None
    assert lh.is_running(terraform.proc.pid, record.terraform_start)
    assert not lh.is_running(terraform.proc.pid, record.terraform_start - 1)  # same pid, reused


def test_a_zombie_is_not_running(terraform: FakeTerraform) -> None:
    os.kill(terraform.proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while (lh.proc_stat(terraform.proc.pid) or ("", "Z", 0))[1] != "Z" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not lh.is_running(terraform.proc.pid, None)  # dead but not reaped yet


def test_a_terraform_that_started_after_the_lock_does_not_hold_it(terraform: FakeTerraform) -> None:
    # the lock is older than this terraform: it was taken by a run before it
    assert sl.assess(ref(terraform.work), lock(age_s=60)).status is sl.Status.GONE


def test_a_terraform_on_another_emulator_does_not_hold_it(terraform: FakeTerraform, tmp_path: Path) -> None:
    other = sl.LockRef(**{**ref(tmp_path).__dict__, "endpoint": "http://127.0.0.1:46000"})
    assert sl.assess(other, lock()).status is sl.Status.GONE


def test_another_machine_is_waited_for_until_the_lock_outlives_any_run() -> None:
    young, old = lock(who="ci@runner-7", age_s=60), lock(who="ci@runner-7", age_s=4000)
    kwargs: dict[str, Any] = {"state": STATE, "endpoint": ENDPOINT, "holders": [], "max_age": 2100}
    assert sl.judge(young, **kwargs).status is sl.Status.ELSEWHERE
    verdict = sl.judge(old, **kwargs)
    assert verdict.status is sl.Status.GONE and "67 min old" in verdict.reason
    message = sl.describe(sl.judge(young, **kwargs), ref(Path("/nowhere")))
    assert "by ci@runner-7 on another machine since" in message and "can release it from" in message


def test_another_user_here_is_treated_like_another_machine() -> None:
    verdict = sl.judge(lock(who=f"someone-else@{ME[1]}"), state=STATE, endpoint=ENDPOINT, holders=[])
    assert verdict.status is sl.Status.ELSEWHERE
    assert "(another user on this machine)" in sl.describe(verdict, ref(Path("/nowhere")))


def test_a_running_holder_wins_over_the_age_rule(terraform: FakeTerraform) -> None:
    holder = lh.Holder.read(terraform.work / lh.HOLDER_FILE)
    assert holder is not None
    verdict = sl.judge(lock(), state=STATE, endpoint=ENDPOINT, holders=[holder], max_age=0)
    assert verdict.status is sl.Status.RUNNING


def test_the_longest_run_follows_the_terraform_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(tf.TIMEOUT_ENV, "600")
    assert sl.max_run_seconds() == 600 + sl.MARGIN_S
    monkeypatch.delenv(tf.TIMEOUT_ENV)
    assert sl.max_run_seconds() == tf.DEFAULT_TIMEOUT_S + sl.MARGIN_S


HOLD_RUN_LOCK = """
import sys, time
from pathlib import Path
from deployment_infra.state_lock import run_lock
with run_lock(Path(sys.argv[1]), "dev (local)", "infra apply --env dev"):
    print("held", flush=True)
    time.sleep(120)
"""


def test_the_run_lock_refuses_a_second_run_at_once_and_dies_with_its_holder(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_RUN_LOCK, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        began = time.monotonic()
        with pytest.raises(sl.RunLockedError) as refused, sl.run_lock(tmp_path, "dev (local)", "infra plan"):
            pass
        assert time.monotonic() - began < 1  # no waiting
        assert str(refused.value).startswith(
            f"another infra run (pid {holder.pid}, `infra apply --env dev`) is working on dev (local)"
        )
        holder.kill()  # SIGKILL: no cleanup runs, the OS drops the flock
        holder.wait()
        with sl.run_lock(tmp_path, "dev (local)", "infra plan"):
            assert '"infra plan"' in (tmp_path / sl.RUN_LOCK_FILE).read_text()
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("verb", ["up", "down"])
def test_a_preview_takes_its_run_lock_before_anything_starts(tmp_path: Path, verb: str) -> None:
    """Two runs on one preview: the second fails at once, one line, before the emulator starts."""
    project = copy_project(tmp_path / "project")
    work = project / ".infra" / "local" / "previews" / "pr-7"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_RUN_LOCK, str(work)], stdout=subprocess.PIPE, text=True
    )
    env: dict[str, str | None] = {"INFRA_EMULATOR_PORT": str(free_port()), "INFRA_TARGET": None}
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = run_infra(project, "preview", verb, "--pr", "7", env=env, timeout=60)
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert result.returncode == 1 and len(lines) == 1, result.stderr
        assert lines[0].startswith(f"error: another infra run (pid {holder.pid}, `infra apply --env dev`)")
        assert "is working on preview pr-7 (local)" in lines[0]
        assert not list((project / ".infra").glob("emulator-*")), "the emulator started"
    finally:
        holder.kill()
        holder.wait()
        run_infra(project, "emulator", "stop", env=env, timeout=60)


def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script_text: str) -> None:
    """A shell script named terraform first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "terraform"
    script.write_text(script_text)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


FAKE_TERRAFORM = """#!/bin/sh
if [ "$1" = "version" ]; then echo '{"terraform_version": "1.11.4"}'; exit 0; fi
i=0
while [ ! -e "$HOLDER" ] && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
cp "$HOLDER" "$SEEN"
kill -9 $$
"""


def test_terraform_records_its_holder_while_it_runs_and_a_kill_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_terraform(tmp_path, monkeypatch, FAKE_TERRAFORM)
    tf._version_checked.clear()
    holder_file, seen = tmp_path / "work" / lh.HOLDER_FILE, tmp_path / "seen.json"
    runner = tf.Terraform(
        root=tmp_path,
        data_dir=tmp_path / "work" / "tf-data",
        env={"HOLDER": str(holder_file), "SEEN": str(seen)},
        what="environment dev",
        holder=lh.HolderRecorder(holder_file, STATE, ENDPOINT),
    )
    try:
        with pytest.raises(tf.TerraformError) as killed:
            runner.apply(tmp_path / "plan.tfplan")
    finally:
        tf._version_checked.clear()
    assert str(killed.value).startswith("terraform apply on environment dev was killed (SIGKILL)")
    assert "\n" not in str(killed.value)
    recorded = lh.Holder.read(seen)  # what the holder file said while terraform ran
    assert recorded is not None and recorded.command == "terraform apply" and recorded.state == STATE
    assert not holder_file.exists()  # removed once terraform is gone


SLOW_TERRAFORM = """#!/bin/sh
if [ "$1" = "version" ]; then echo '{"terraform_version": "1.11.4"}'; exit 0; fi
exec sleep 60
"""


def test_terraform_does_not_run_when_its_holder_cannot_be_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_terraform(tmp_path, monkeypatch, SLOW_TERRAFORM)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the work dir should be")
    runner = tf.Terraform(
        root=tmp_path,
        data_dir=tmp_path / "tf-data",
        env={},
        holder=lh.HolderRecorder(blocker / lh.HOLDER_FILE, STATE, ENDPOINT),
    )
    tf._version_checked.clear()
    began = time.monotonic()
    try:
        with pytest.raises(InfraError, match="cannot record the state lock holder"):
            runner.plan(tmp_path / "plan.tfplan")
    finally:
        tf._version_checked.clear()
    assert time.monotonic() - began < 10  # terraform was interrupted, not waited for


def test_a_lock_id_that_is_no_uuid_is_refused_before_any_work(capsys: pytest.CaptureFixture[str]) -> None:
    from deployment_infra.cli import main

    assert main(["unlock", "--env", "dev", "1; rm -rf /"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: '1; rm -rf /' is not a lock id") and "\n" not in err
    # "$" would let a trailing newline through
    assert main(["unlock", "--env", "dev", "0b1c2d3e-0000-4000-8000-000000000000\n"]) == 2
