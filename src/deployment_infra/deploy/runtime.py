"""Where a deployed revision answers HTTP, so smoke tests can reach it.

`aws`: the environment's public address, https://<service>.<env>.<domain> (the Route 53 record of the
root). `local`: the emulator has no data plane (no task ever runs), so the harness runs the reference
service (examples/service) itself, on loopback, with the environment the revision's `app` container
would get: one process per environment, replaced whenever the service points at another revision. That
is what lets the local target exercise the whole flow, a release that fails to start included.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from deployment_infra.deploy.ecs import container_environment
from deployment_infra.deploy.service import ServiceRef
from deployment_infra.emulator import Emulator, free_port
from deployment_infra.errors import InfraError
from deployment_infra.settings import Settings

START_TIMEOUT_S = 10.0
# Where the AWS AppConfig agent sidecar answers inside a task; FLAGS_URL points there on AWS. Locally
# the runtime maps it to the agent stand-in (envs/flags_agent.py) reading the emulator's AppConfig.
AGENT_ADDRESS = "http://localhost:2772/"
STOP_TIMEOUT_S = 12.0  # the service drains for up to 10 s on SIGTERM


class Runtime(Protocol):
    """Where the revision a service points at can be reached."""

    def endpoint(self, ref: ServiceRef, task_definition: Mapping[str, Any]) -> str:
        """Base URL at which `task_definition` (the one the service now runs) answers."""


@dataclass(frozen=True)
class AwsRuntime:
    domain: str

    def endpoint(self, ref: ServiceRef, task_definition: Mapping[str, Any]) -> str:
        return f"https://{ref.service}.{ref.environment}.{self.domain}"


@dataclass(frozen=True)
class LocalProcess:
    pid: int
    port: int
    task_definition: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class LocalRuntime:
    """The reference service run on loopback as the revision the emulated service points at."""

    def __init__(self, settings: Settings, service_dir: Path | None = None) -> None:
        self.state_dir = settings.run_dir / "services"
        self.emulator_url = Emulator(settings.run_dir, settings.emulator_port).url
        # INFRA_REFERENCE_SERVICE_DIR: another checkout of examples/service (tests run copies of the project)
        override = os.environ.get("INFRA_REFERENCE_SERVICE_DIR")
        self.service_dir = service_dir or (
            Path(override) if override else settings.root / "examples" / "service"
        )

    def endpoint(self, ref: ServiceRef, task_definition: Mapping[str, Any]) -> str:
        arn = str(task_definition.get("taskDefinitionArn", ""))
        current = self.running(ref)
        if current is not None and current.task_definition == arn:
            return current.url
        self.stop(ref)
        return self.start(ref, arn, container_environment(task_definition)).url

    def _state_file(self, ref: ServiceRef) -> Path:
        return self.state_dir / f"{ref.name}.json"

    def running(self, ref: ServiceRef) -> LocalProcess | None:
        return _recorded(self._state_file(ref))

    def stop(self, ref: ServiceRef) -> bool:
        """Stop the environment's local instance; True when one was running."""
        return _stop_recorded(self._state_file(ref))

    def start(self, ref: ServiceRef, arn: str, environment: Mapping[str, str]) -> LocalProcess:
        server = self.ensure_built()
        port = free_port()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log = (self.state_dir / f"{ref.name}.log").open("ab")
        env = {"PATH": os.environ.get("PATH", ""), **environment, "PORT": str(port)}
        flags_url = env.get("FLAGS_URL", "")
        if flags_url.startswith(AGENT_ADDRESS):
            env["FLAGS_URL"] = self.agent(ref.region) + flags_url[len(AGENT_ADDRESS) - 1 :]
        child = subprocess.Popen(
            ["node", str(server)],
            cwd=self.service_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # outlives this command, like a task outlives a deploy
        )
        log.close()
        process = LocalProcess(child.pid, port, arn)
        self._state_file(ref).write_text(json.dumps(process.__dict__), encoding="utf-8")
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and child.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{process.url}/health", timeout=1.0)
                break
            time.sleep(0.1)
        return process  # whether it answers is for the smoke test to judge

    def agent(self, region: str) -> str:
        """Base URL of the AppConfig agent stand-in for `region`, started when not running."""
        state = self.state_dir / "agents" / f"{region}.json"
        try:
            data = json.loads(state.read_text(encoding="utf-8"))
            if _alive(int(data["pid"])):
                return f"http://127.0.0.1:{int(data['port'])}"
        except (OSError, ValueError, KeyError, TypeError):
            pass
        state.parent.mkdir(parents=True, exist_ok=True)
        port = free_port()
        log = (state.parent / f"{region}.log").open("ab")
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "deployment_infra.envs.flags_agent",
                "--port",
                str(port),
                "--region",
                region,
                "--endpoint-url",
                self.emulator_url,
                "--poll-seconds",
                "1",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
            start_new_session=True,
        )
        log.close()
        state.write_text(json.dumps({"pid": child.pid, "port": port}), encoding="utf-8")
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and child.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{url}/", timeout=1.0)  # any answer (404) means it listens
                return url
            time.sleep(0.1)
        raise InfraError(
            f"the AppConfig agent stand-in did not start (see {state.parent / (region + '.log')})"
        )

    def stop_all(self) -> int:
        stopped = 0
        for state in (
            sorted((self.state_dir / "agents").glob("*.json")) if (self.state_dir / "agents").is_dir() else []
        ):
            with contextlib.suppress(OSError, ValueError, KeyError, ProcessLookupError):
                os.kill(int(json.loads(state.read_text(encoding="utf-8"))["pid"]), signal.SIGTERM)
            state.unlink(missing_ok=True)
        for path in sorted(self.state_dir.glob("*.json")) if self.state_dir.is_dir() else []:
            stopped += _stop_recorded(path)
        return stopped

    def ensure_built(self) -> Path:
        """dist/server.js of the reference service, built (npm ci, npm run build) when missing or stale."""
        server = self.service_dir / "dist" / "server.js"
        sources = list((self.service_dir / "src").glob("*.ts"))
        if not sources:
            raise InfraError(f"the reference service is missing: no {self.service_dir}/src/*.ts")
        if server.exists() and server.stat().st_mtime >= max(p.stat().st_mtime for p in sources):
            return server
        steps = [["npm", "run", "build", "--silent"]]
        if not (self.service_dir / "node_modules" / ".package-lock.json").exists():
            steps.insert(0, ["npm", "ci", "--no-audit", "--no-fund", "--silent"])
        for command in steps:
            try:
                subprocess.run(command, cwd=self.service_dir, check=True, capture_output=True, timeout=600)
            except FileNotFoundError as exc:
                raise InfraError(
                    "npm is not on PATH: the local target runs the reference service with Node 20"
                ) from exc
            except subprocess.CalledProcessError as exc:
                tail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
                raise InfraError(
                    f"building the reference service failed ({' '.join(command)}): {tail[0]}"
                ) from exc
        return server


def _recorded(path: Path) -> LocalProcess | None:
    """The instance a state file records, if it still runs."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        process = LocalProcess(int(data["pid"]), int(data["port"]), str(data["task_definition"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return process if _alive(process.pid) else None


def _stop_recorded(path: Path) -> bool:
    """Stop (SIGTERM, SIGKILL after the drain time) the instance `path` records, and forget it."""
    process = _recorded(path)
    path.unlink(missing_ok=True)
    if process is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGKILL)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of this process counts as gone.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def runtime_for(target_name: str, settings: Settings) -> Runtime:
    return LocalRuntime(settings) if target_name == "local" else AwsRuntime(settings.domain)
