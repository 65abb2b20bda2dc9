"""Flags end to end on the local target: AppConfig on the embedded emulator, the agent stand-in
(`python -m deployment_infra.envs.flags_agent`) and the compiled reference service (`node server.js`)
with FLAGS_URL pointing at it, one service per environment. The same build gets different flags in
dev and prod, and a flag deployed later reaches the running service without a redeploy.

The service is compiled with its own tsc into a temporary directory, like
tests/integration/test_smoke_service.py, so the tree's dist/ is neither needed nor touched.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.emulator import Emulator, free_port
from deployment_infra.targets import LocalTarget
from tests.conftest import own_emulator
from tests.support.appconfig import Setup, create_setup
from tests.support.reference_service import compile_service

pytestmark = pytest.mark.integration

REGION = "af-south-1"
VERSION = "7d1e0f2"
PATH = "/applications/ngapp/environments/{env}/configurations/flags"


def _get(url: str) -> tuple[int, dict[str, str], Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as res:  # noqa: S310 (loopback)
            return res.status, {k.lower(): v for k, v in res.headers.items()}, json.loads(res.read())
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, json.loads(err.read())


def _until(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    return proc.returncode, out + err


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with own_emulator(Path(tmp_path_factory.mktemp("flags-agent")) / ".infra") as emu:
        yield emu


@pytest.fixture(scope="module")
def server_js(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_service(tmp_path_factory.mktemp("service"))


@pytest.fixture(scope="module")
def setup(emulator: Emulator) -> Setup:
    return create_setup(LocalTarget(emulator).client("appconfig", REGION))


@pytest.fixture(scope="module")
def agent(emulator: Emulator) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "deployment_infra.envs.flags_agent"),
            *("--port", str(port), "--region", REGION, "--endpoint-url", emulator.url),
            *("--poll-seconds", "0.5"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line == f"flags-agent listening on http://127.0.0.1:{port}\n", line + proc.stderr.read()
        yield f"http://127.0.0.1:{port}"
    finally:
        code, output = _stop(proc)
        assert code == 0, output


@pytest.fixture
def start_service(server_js: Path) -> Iterator[Callable[[dict[str, str]], str]]:
    procs: list[subprocess.Popen[str]] = []

    def start(env: dict[str, str]) -> str:
        port = free_port()
        full = {**os.environ, "PORT": str(port), "APP_VERSION": VERSION, **env}
        procs.append(
            subprocess.Popen(
                ["node", str(server_js)], env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in procs:
        code, output = _stop(proc)
        assert code == 0, output


def test_the_agent_stand_in_answers_like_the_agent(setup: Setup, agent: str) -> None:
    setup.deploy("dev", setup.publish({"beta": {"enabled": True, "limit": 5}}))
    status, headers, body = _get(agent + PATH.format(env="dev"))
    assert (status, headers["content-type"], body) == (
        200,
        "application/json",
        {"beta": {"enabled": True, "limit": 5}},
    )
    status, _, body = _get(agent + PATH.format(env="staging"))
    assert (status, body) == (404, {"error": "environment 'staging' not found"})


def test_the_same_build_runs_with_each_environments_flags(
    setup: Setup, agent: str, start_service: Callable[[dict[str, str]], str]
) -> None:
    setup.deploy("dev", setup.publish({"maintenance_banner": {"enabled": True, "message": "read-only at 2"}}))
    setup.deploy("prod", setup.publish({"maintenance_banner": {"enabled": False}}))
    services = {
        env: start_service({"FLAGS_URL": agent + PATH.format(env=env), "FLAGS_REFRESH_SECONDS": "1"})
        for env in ("dev", "prod")
    }
    dev, prod = services["dev"], services["prod"]
    _until(lambda: _get(f"{dev}/flags")[2] != {}, "dev service has its flags")
    _until(lambda: _get(f"{prod}/flags")[2] != {}, "prod service has its flags")

    assert _get(f"{dev}/flags")[2] == {"maintenance_banner": {"enabled": True, "message": "read-only at 2"}}
    assert _get(f"{prod}/flags")[2] == {"maintenance_banner": {"enabled": False}}
    dev_version, prod_version = _get(f"{dev}/version"), _get(f"{prod}/version")
    assert dev_version[0] == prod_version[0] == 200
    assert dev_version[2] == prod_version[2] == {"version": VERSION}  # the shape the smoke test reads
    assert dev_version[1]["maintenance-banner"] == "read-only at 2"
    assert "maintenance-banner" not in prod_version[1]

    # a flag change is an AppConfig deployment, not a service deployment: the running process follows
    setup.deploy("prod", setup.publish({"maintenance_banner": {"enabled": True}}))
    _until(
        lambda: _get(f"{prod}/health")[1].get("maintenance-banner") == "maintenance",
        "prod service picks up the new flags",
    )
    assert _get(f"{dev}/flags")[2]["maintenance_banner"]["message"] == "read-only at 2"
