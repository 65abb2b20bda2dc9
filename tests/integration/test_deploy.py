"""`infra deploy`, `rollback`, `releases`, `smoke` and the promotion gate, end to end on the emulator.

The real CLI in a subprocess, the real reference service (examples/service, started on loopback by the
local runtime with each revision's environment), a real Slack-compatible webhook server, the emulator
for ECS, SSM and Secrets Manager. The ECS services are created with boto3 (what `infra up` leaves,
without the minutes of Terraform).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest

from deployment_infra import settings as settings_mod
from deployment_infra.deploy.runtime import LocalRuntime
from deployment_infra.deploy.service import ServiceRef
from deployment_infra.emulator import Emulator, free_port
from deployment_infra.targets import LocalTarget
from tests.conftest import REPO, copy_project, run_infra
from tests.support.appconfig import create_setup
from tests.support.ecs_service import create_service, running_task_definition

REGION = "af-south-1"


class Hook(BaseHTTPRequestHandler):
    posts: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).posts.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    project = copy_project(tmp_path_factory.mktemp("deploy-project"))
    port = free_port()
    emulator = Emulator(project / ".infra", port)
    emulator.ensure_running()
    target = LocalTarget(emulator)
    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    env = {
        "INFRA_EMULATOR_PORT": str(port),
        "INFRA_REFERENCE_SERVICE_DIR": str(REPO / "examples" / "service"),
        "GITHUB_ACTOR": None,
        "GITHUB_ACTIONS": None,
    }
    settings = settings_mod.load(project)
    refs = {name: ServiceRef.of(settings, name) for name in ("dev", "staging", "prod")}
    for ref in refs.values():
        create_service(
            target.client("ecs", REGION), ref, environment={"DB_HOST": f"db.{ref.environment}.internal"}
        )
    target.client("secretsmanager", REGION).create_secret(
        Name=f"{refs['dev'].secret_prefix}/monitoring/slack",
        SecretString=json.dumps({"webhook_url": f"http://127.0.0.1:{hook.server_address[1]}/hook"}),
    )
    old = os.environ.get("INFRA_REFERENCE_SERVICE_DIR")
    os.environ["INFRA_REFERENCE_SERVICE_DIR"] = env["INFRA_REFERENCE_SERVICE_DIR"] or ""
    try:
        yield {"project": project, "env": env, "target": target, "refs": refs, "settings": settings}
    finally:
        LocalRuntime(settings).stop_all()
        hook.shutdown()
        emulator.stop()
        if old is None:
            os.environ.pop("INFRA_REFERENCE_SERVICE_DIR", None)


def infra(world: dict[str, Any], *args: str) -> Any:
    return run_infra(world["project"], *args, env=world["env"], timeout=600)


def infra_json(world: dict[str, Any], *args: str, rc: int = 0) -> dict[str, Any]:
    result = infra(world, *args, "--json")
    assert result.returncode == rc, result.stdout + result.stderr
    return dict(json.loads(result.stdout))


def live_version(world: dict[str, Any], env: str) -> str:
    url = LocalRuntime(world["settings"]).running(world["refs"][env])
    assert url is not None, "no local instance runs"
    return str(httpx.get(f"{url.url}/version", timeout=5).json()["version"])


def task_env(world: dict[str, Any], env: str) -> dict[str, str]:
    ecs = world["target"].client("ecs", REGION)
    arn = running_task_definition(ecs, world["refs"][env])
    container = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["containerDefinitions"][0]
    return {e["name"]: e["value"] for e in container["environment"]}


def test_deploy_failed_deploy_rollback_and_history(world: dict[str, Any]) -> None:
    ecs = world["target"].client("ecs", REGION)
    dev = world["refs"]["dev"]

    first = infra_json(world, "deploy", "--env", "dev", "--image", "ngapp-dev/api:v1")
    assert first["succeeded"] and first["release"]["id"] == "r000001"
    assert first["notification"]["sent"], first["notification"]
    assert live_version(world, "dev") == "v1"
    assert task_env(world, "dev")["DB_HOST"] == "db.dev.internal"  # Terraform's values survive

    second = infra_json(world, "deploy", "--env", "dev", "--image", "ngapp-dev/api:v2")
    assert second["succeeded"] and second["release"]["id"] == "r000002"
    v2_arn = running_task_definition(ecs, dev)
    assert live_version(world, "dev") == "v2"

    again = infra_json(world, "deploy", "--env", "dev", "--image", "ngapp-dev/api:v2")
    assert again["succeeded"] and not again["changed"]  # idempotent: nothing registered, nothing recorded

    # A release the service rejects at start (LOG_LEVEL it does not know): smoke fails, back to v2.
    assert infra(world, "config", "set", "--env", "dev", "LOG_LEVEL=loud").returncode == 0
    broken = infra_json(world, "deploy", "--env", "dev", "--image", "ngapp-dev/api:v3", rc=1)
    assert not broken["succeeded"] and "smoke test failed" in broken["detail"]
    assert broken["release"]["outcome"] == "failed" and broken["release"]["rolled_back_to"] == v2_arn
    assert broken["rolled_back_to"]["id"] == "r000002"
    assert running_task_definition(ecs, dev) == v2_arn
    assert live_version(world, "dev") == "v2"
    texts = [post["text"] for post in Hook.posts]
    assert any("v3" in t and "rolled back" in t for t in texts), texts

    assert infra(world, "config", "set", "--env", "dev", "LOG_LEVEL=warn").returncode == 0
    fourth = infra_json(world, "deploy", "--env", "dev", "--image", "ngapp-dev/api:v4")
    assert fourth["succeeded"] and task_env(world, "dev")["LOG_LEVEL"] == "warn"

    back = infra_json(world, "rollback", "--env", "dev")
    assert back["succeeded"] and back["image"] == "ngapp-dev/api:v2"
    assert running_task_definition(ecs, dev) == v2_arn and live_version(world, "dev") == "v2"

    to_first = infra_json(world, "rollback", "--env", "dev", "--to", "1")
    assert to_first["succeeded"] and live_version(world, "dev") == "v1"
    smoke = infra_json(world, "smoke", "--env", "dev")
    assert smoke["version"] == "v1" and all(c["passed"] for c in smoke["checks"])

    history = infra_json(world, "releases", "--env", "dev")
    rows = [(r["id"], r["action"], r["version"], r["outcome"]) for r in history["releases"]]
    assert rows == [
        ("r000001", "deploy", "v1", "succeeded"),
        ("r000002", "deploy", "v2", "succeeded"),
        ("r000003", "deploy", "v3", "failed"),
        ("r000004", "deploy", "v4", "succeeded"),
        ("r000005", "rollback", "v2", "succeeded"),
        ("r000006", "rollback", "v1", "succeeded"),
    ]
    assert history["current"] == "r000006"
    table = infra(world, "releases", "--env", "dev")
    assert table.returncode == 0 and "r000003" in table.stdout


def test_production_takes_only_what_passed_staging(world: dict[str, Any]) -> None:
    ecs = world["target"].client("ecs", REGION)
    prod = world["refs"]["prod"]
    before = running_task_definition(ecs, prod)
    image = "ngapp/api:rc1"

    refused = infra(world, "deploy", "--env", "prod", "--image", image, "--yes")
    assert refused.returncode == 1 and "no integration record in staging" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    assert (
        infra(
            world, "integration", "record", "--env", "staging", "--image", image, "--outcome", "failed"
        ).returncode
        == 0
    )
    failed = infra(world, "deploy", "--env", "prod", "--image", image, "--yes")
    assert failed.returncode == 1 and "failed integration tests in staging" in failed.stderr

    other = infra(
        world,
        "integration",
        "record",
        "--env",
        "staging",
        "--image",
        "ngapp/other:rc1",
        "--outcome",
        "passed",
    )
    assert other.returncode == 0
    rebuilt = infra(world, "deploy", "--env", "prod", "--image", image, "--yes")
    assert rebuilt.returncode == 1 and "not ngapp/api:rc1" in rebuilt.stderr
    assert running_task_definition(ecs, prod) == before  # nothing changed by any refusal

    assert (
        infra(
            world, "integration", "record", "--env", "staging", "--image", image, "--outcome", "passed"
        ).returncode
        == 0
    )
    unconfirmed = infra(world, "deploy", "--env", "prod", "--image", image)
    assert unconfirmed.returncode == 2 and "protected" in unconfirmed.stderr
    done = infra_json(world, "deploy", "--env", "prod", "--image", image, "--yes")
    assert done["succeeded"] and live_version(world, "prod") == "rc1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("deploy", "--env", "dev", "--image", "NoTag"), "has no tag"),
        (("deploy", "--env", "dev", "--image", "Upper/Case:v1"), "not a valid lower-case image name"),
        (("deploy", "--env", "nowhere", "--image", "ngapp/api:v1"), "unknown environment"),
        (("deploy", "--env", "dev", "--image", "ngapp/api:v1", "--timeout", "0"), "--timeout"),
        (("rollback", "--env", "dev", "--to", "yesterday"), "not a release id"),
        (("rollback", "--env", "staging", "--to", "r000099"), "has no release r000099"),
        (
            ("integration", "record", "--env", "staging", "--image", "ngapp/api:v1", "--outcome", "ok"),
            "--outcome",
        ),
        (("releases", "--env", "dev", "--limit", "0"), "--limit"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    world: dict[str, Any], args: tuple[str, ...], message: str
) -> None:
    ssm = world["target"].client("ssm", REGION)

    def snapshot() -> list[tuple[str, str]]:
        pages = ssm.get_paginator("describe_parameters").paginate()
        return sorted((p["Name"], str(p.get("Version"))) for page in pages for p in page["Parameters"])

    before = snapshot()
    result = infra(world, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert snapshot() == before


def test_flags_differ_per_environment_and_change_without_a_redeploy(world: dict[str, Any]) -> None:
    """The same image in dev and staging reads its own environment's AppConfig flags through the agent
    address (FLAGS_URL, localhost:2772 in a task; the local runtime's stand-in here)."""
    appconfig = world["target"].client("appconfig", REGION)
    urls = {}
    for env in ("dev", "staging"):
        setup = create_setup(appconfig, app=f"ngapp-{env}", environments=(env,))
        setup.deploy(env, setup.publish({"maintenance_banner": {"enabled": False}}))
        agent_path = f"applications/ngapp-{env}/environments/{env}/configurations/flags"
        set_config = infra(
            world,
            "config",
            "set",
            "--env",
            env,
            f"FLAGS_URL=http://localhost:2772/{agent_path}",
            "FLAGS_REFRESH_SECONDS=1",
        )
        assert set_config.returncode == 0, set_config.stderr
        assert infra_json(world, "deploy", "--env", env, "--image", "ngapp/api:flags-1")["succeeded"]
        process = LocalRuntime(world["settings"]).running(world["refs"][env])
        assert process is not None
        urls[env] = process.url

    enabled = infra(
        world, "flags", "enable", "--env", "dev", "maintenance_banner", "--attr", "message=back soon"
    )
    assert enabled.returncode == 0, enabled.stderr

    def banner(env: str) -> str | None:
        return httpx.get(f"{urls[env]}/health", timeout=5).headers.get("maintenance-banner")

    deadline = time.monotonic() + 30
    while banner("dev") is None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert banner("dev") == "back soon"
    assert banner("staging") is None  # same code, staging's flags are off
    assert httpx.get(f"{urls['dev']}/flags", timeout=5).json()["maintenance_banner"]["enabled"] is True
    assert live_version(world, "dev") == live_version(world, "staging") == "flags-1"  # no redeploy in between
