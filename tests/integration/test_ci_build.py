"""`infra ci build` and the hadolint step for real: buildah builds the reference service's image and
the step proves it runs (non-root, HEALTHCHECK, /version = the commit); a Dockerfile that does not
build, and an image that builds but does not serve, fail the stage and leave no working container;
hadolint fails `infra ci lint` with its rule id."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.ci import base_image, buildah, stand_in
from tests.conftest import REPO

INFRA = str(Path(sys.executable).parent / "infra")
SERVICE = REPO / "examples" / "service"


def _ci(stage: str, path: Path) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [INFRA, "ci", stage, "--path", str(path), "--json"], capture_output=True, text=True, timeout=1800
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {}, done.stderr


def _image_step(report: dict[str, Any]) -> dict[str, Any]:
    steps = {s["step"]: s for s in report["steps"]}
    assert set(steps) == {"image"}, report
    return steps["image"]


def _commit() -> str:
    return (
        os.environ.get("GITHUB_SHA")
        or subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    )


@pytest.fixture(scope="module", autouse=True)
def buildah_present() -> None:
    assert shutil.which("buildah"), (
        "buildah is not on PATH: `make tools` installs it (apt-get install buildah)"
    )


def _service_copy(dest: Path) -> Path:
    shutil.copytree(SERVICE, dest, ignore=shutil.ignore_patterns("node_modules", "dist", "coverage"))
    return dest


def test_the_reference_service_image_builds_runs_and_answers_its_commit() -> None:
    before = buildah.container_names()
    code, report, stderr = _ci("build", SERVICE)
    step = _image_step(report)
    assert code == 0 and report["status"] == "passed", (step["summary"], step["details"], stderr[-2000:])
    sha = _commit()
    data = step["data"]
    assert data["tags"] == [f"localhost/service:{sha}", f"localhost/service:{sha[:12]}"]
    assert data["user"] == "1000:1000"
    assert data["healthcheck"] == ["node", "dist/healthcheck.js"]
    checks = data["checks"]
    assert all(c["ok"] for c in checks.values()), checks
    assert checks["GET /version"]["detail"] == f"HTTP 200, version {sha!r}"
    assert checks["runs as"]["detail"].startswith("uid 1000 ")
    assert checks["HEALTHCHECK while serving"]["detail"] == "exit 0"
    assert checks["HEALTHCHECK after stop"]["detail"].startswith("exit 1")  # it really probes
    assert checks["SIGTERM"]["detail"] == "exit 0"
    # never pretend: a stand-in base is said to be one, in the summary and in the image itself
    base = data["base"]
    labels = buildah.inspect_image(data["tags"][0])["Docker"]["config"]["Labels"]
    assert labels["org.opencontainers.image.revision"] == sha
    if base["kind"] == "stand-in":
        assert "LOCAL STAND-IN" in step["summary"] and "NOT the official" in step["summary"]
        assert labels["io.deployment-infra.stand-in.for"] == "docker.io/library/node:20.20.2-bookworm-slim"
    else:
        assert base["kind"] == "official" and "io.deployment-infra.stand-in" not in labels
    assert data["size_bytes"] > 0 and data["image_id"]
    assert buildah.container_names() <= before


def test_a_dockerfile_that_does_not_build_fails_and_leaves_no_container(tmp_path: Path) -> None:
    copy = _service_copy(tmp_path / "broken-service")
    dockerfile = copy / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("WORKDIR /app\n", "WORKDIR /app\nRUN exit 1\n", 1))
    before = buildah.container_names()
    code, report, _ = _ci("build", copy)
    step = _image_step(report)
    assert code == 1 and step["status"] == "failed"
    assert step["summary"].startswith("buildah bud failed")
    assert any("RUN exit 1" in d for d in step["details"])
    assert buildah.container_names() <= before
    assert not buildah.image_exists(step["data"]["tags"][0])


def test_an_image_that_does_not_serve_fails_its_checks(tmp_path: Path) -> None:
    copy = _service_copy(tmp_path / "mute-service")
    dockerfile = copy / "Dockerfile"
    text = dockerfile.read_text()
    # runs as root and exits at once: builds fine, and the step must still refuse it
    text = text.replace("USER 1000:1000\n", "").replace(
        'CMD ["node", "dist/server.js"]', 'CMD ["node", "-e", "process.exit(3)"]'
    )
    dockerfile.write_text(text)
    before = buildah.container_names()
    code, report, _ = _ci("build", copy)
    step = _image_step(report)
    try:
        assert code == 1 and step["status"] == "failed"
        checks = step["data"]["checks"]
        failed = {name for name, c in checks.items() if not c["ok"]}
        assert {"user", "GET /health"} <= failed, checks
        assert "exited 3" in checks["GET /health"]["detail"]
        assert "built but" in step["summary"]
        assert buildah.container_names() <= before
    finally:
        buildah.remove_image(step["data"]["image_id"])  # both its tags


def test_hadolint_failure_fails_ci_lint_with_the_rule_id(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM node:latest\nRUN apt-get update && apt-get install -y curl\n")
    code, report, stderr = _ci("lint", tmp_path)
    assert code == 1 and report["status"] == "failed"
    steps = {s["step"]: s for s in report["steps"]}
    assert steps["hadolint"]["status"] == "failed"
    assert any(" DL3007 " in d for d in steps["hadolint"]["details"])
    assert "DL3008" in stderr  # the progress lines name the rule too


def test_no_stand_in_for_another_node_release_than_this_machines(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "ARG NODE_IMAGE=docker.io/library/node:20.0.0-bookworm-slim\nFROM ${NODE_IMAGE}\n"
        'USER 1000:1000\nCMD ["node"]\n'
    )
    if buildah.image_exists("docker.io/library/node:20.0.0-bookworm-slim"):
        pytest.fail("the official node:20.0.0 image is in local storage: this test needs it absent")
    code, report, _ = _ci("build", tmp_path)
    step = _image_step(report)
    if step["data"]["base"]["kind"] == "official":  # the registry answered: the real image was pulled
        buildah.remove_image("docker.io/library/node:20.0.0-bookworm-slim")
        return
    assert code == 1 and step["status"] == "failed"
    assert "no stand-in" in step["summary"]
    assert "the Dockerfile pins 20.0.0: a stand-in would not be the same Node" in step["summary"]


def test_a_stand_in_is_assembled_from_this_machines_node_then_reused(tmp_path: Path) -> None:
    """The cold path a fresh machine takes, under a tag of its own (the shared stand-in stays)."""
    pin = base_image.node_pin((SERVICE / "Dockerfile").read_text())
    host = base_image.host_node()
    assert pin is not None and base_image.stand_in_refusal(pin, host, frozenset(stand_in.BUNDLED_NPM)) is None
    ref = "localhost/deployment-infra/node-stand-in-test:" + pin.version
    buildah.remove_image(ref)
    made = stand_in.ensure(pin, host, tmp_path / "cache", ref)
    try:
        assert not made.reused and made.npm == "10.8.2"
        again = stand_in.ensure(pin, host, tmp_path / "cache", ref)
        assert again.reused and again.image_id == made.image_id
        info = buildah.inspect_image(ref)
        labels = stand_in.image_labels(info)
        assert labels["io.deployment-infra.stand-in.for"] == pin.ref
        assert "not the official image" in labels["org.opencontainers.image.description"]
        assert info["Docker"]["config"]["Entrypoint"] == ["docker-entrypoint.sh"]
        name = buildah.working_name("test")
        assert buildah.run("from", "--pull=never", "--name", name, ref).returncode == 0
        try:
            script = "node --version; npm --version; id -u node; cd && pwd; docker-entrypoint.sh -p 6*7"
            done = buildah.run(
                "run", "--isolation", buildah.ISOLATION, "--user", "node", name, "--", "sh", "-c", script
            )
            assert done.returncode == 0, done.output
            assert done.stdout.split() == [f"v{pin.version}", "10.8.2", "1000", "/home/node", "42"]
        finally:
            buildah.remove_container(name)
    finally:
        buildah.remove_image(ref)
