"""The embedded AWS: a real moto server started and stopped by `infra`, on a free port."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from deployment_infra.emulator import Emulator, free_port
from deployment_infra.errors import InfraError
from deployment_infra.targets import LocalTarget
from tests.conftest import copy_project, own_emulator, run_infra


@pytest.fixture(scope="module")
def own_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of its own: these tests start emulators on other ports."""
    return copy_project(tmp_path_factory.mktemp("emu-project"))


def test_start_status_stop_cycle(tmp_path: Path) -> None:
    emu = Emulator(tmp_path / ".infra", free_port())
    assert not emu.status().running
    first = emu.ensure_running()
    try:
        assert first.running and first.owned and first.pid
        # idempotent: a second start reuses the same process
        assert emu.ensure_running().pid == first.pid
        recorded = json.loads(emu.state_file.read_text())
        assert recorded["pid"] == first.pid and recorded["port"] == emu.port
        s3 = LocalTarget(emu).client("s3", "af-south-1")
        s3.create_bucket(Bucket="probe", CreateBucketConfiguration={"LocationConstraint": "af-south-1"})
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["probe"]
    finally:
        assert emu.stop()
    assert not emu.status().running
    assert not emu.state_file.exists()
    assert emu.stop() is False  # nothing of ours left to stop


def test_port_held_by_another_process_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        emu = Emulator(tmp_path / ".infra", port)
        with pytest.raises(InfraError, match=f"port {port} is held by another process"):
            emu.ensure_running()
        assert emu.stop() is False  # never signals a process it did not start
        assert not emu.state_file.exists()


def test_stale_record_of_a_dead_process_is_ignored(tmp_path: Path) -> None:
    emu = Emulator(tmp_path / ".infra", free_port())
    (tmp_path / ".infra").mkdir()
    # pid 1 is alive but is not our launcher: it must never be signalled
    emu.state_file.write_text(json.dumps({"pid": 1, "port": emu.port}))
    assert emu.recorded_pid() is None
    assert emu.stop() is False


def test_cli_emulator_commands(own_project: Path) -> None:
    project = own_project
    port = str(free_port())
    env = {"INFRA_EMULATOR_PORT": port}
    try:
        started = run_infra(project, "emulator", "start", "--json", env=env)
        assert started.returncode == 0, started.stderr
        assert json.loads(started.stdout)["running"] is True
        status = run_infra(project, "emulator", "status", "--json", env=env)
        assert status.returncode == 0 and json.loads(status.stdout)["port"] == int(port)
    finally:
        stopped = run_infra(project, "emulator", "stop", env=env)
    assert stopped.returncode == 0
    after = run_infra(project, "emulator", "status", env=env)
    assert after.returncode == 3 and "not running" in after.stdout


def test_tls_only_bucket_policy_through_the_launcher(tmp_path: Path) -> None:
    """The s3-bucket-policy-conditions shim, end to end: a TLS-only state bucket stays usable."""
    with own_emulator(tmp_path / ".infra") as emu:
        s3 = LocalTarget(emu).client("s3", "af-south-1")
        s3.create_bucket(Bucket="state", CreateBucketConfiguration={"LocationConstraint": "af-south-1"})
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::state", "arn:aws:s3:::state/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
        s3.put_bucket_policy(Bucket="state", Policy=json.dumps(policy))
        s3.put_object(Bucket="state", Key="k", Body=b"v")
        assert s3.get_object(Bucket="state", Key="k")["Body"].read() == b"v"


def test_read_only_verbs_never_create_the_state_bucket(own_project: Path) -> None:
    project = own_project
    env = {"INFRA_EMULATOR_PORT": str(free_port())}
    try:
        status = run_infra(project, "status", "--env", "dev", env=env)
        assert status.returncode == 1 and "has no state backend" in status.stderr
        down = run_infra(project, "down", "--env", "dev", env=env)
        assert down.returncode == 0 and "nothing to destroy" in down.stderr
        emu = Emulator(project / ".infra", int(env["INFRA_EMULATOR_PORT"]))
        assert LocalTarget(emu).client("s3", "af-south-1").list_buckets()["Buckets"] == []
    finally:
        run_infra(project, "emulator", "stop", env=env)
