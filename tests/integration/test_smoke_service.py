"""The smoke tests against the real reference service (examples/service): compiled with its own tsc
into a temporary directory (the tree's dist/ is left alone), started with `node server.js` on a free
loopback port with PORT and APP_VERSION, exactly as the task definition runs it."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from deployment_infra.deploy.smoke import CONFIG_FILE, load_smoke_config, run_smoke
from deployment_infra.emulator import free_port
from tests.conftest import REPO
from tests.support.reference_service import compile_service

VERSION = "3f9c2ab"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """server.js and its modules, with the package.json that makes node load them as ES modules."""
    return compile_service(tmp_path_factory.mktemp("service"))


@pytest.fixture
def service_url(built: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "PORT": str(port), "APP_VERSION": VERSION}
    proc = subprocess.Popen(
        ["node", str(built)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        # 0.0.0.0 in the container; the smoke test reaches it on loopback
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, out + err


def test_the_reference_service_passes_the_committed_smoke_config(service_url: str) -> None:
    # the committed checks, with patience for node's start-up instead of production's pacing
    config = replace(load_smoke_config(REPO / CONFIG_FILE), attempts=100, retry_delay_s=0.1)
    report = run_smoke(service_url, VERSION, config)
    assert report.passed, report.to_dict()
    assert [c.name for c in report.checks] == ["health", "version", "latency", "GET /metrics"]


def test_the_reference_service_on_another_version_fails_the_smoke_test(service_url: str) -> None:
    config = replace(load_smoke_config(REPO / CONFIG_FILE), attempts=100, retry_delay_s=0.1)
    report = run_smoke(service_url, "0000000", config)
    assert {c.name for c in report.failures} == {"version", "GET /metrics"}
    assert "running '3f9c2ab', expected '0000000'" in report.to_dict()["checks"][1]["detail"]
