"""The embedded AWS: a moto server on 127.0.0.1 that `infra` starts, watches and stops itself.

The server runs `python -m deployment_infra.emulator_server`, which applies the project's
compatibility shims (see docs/emulator.md) before serving. Its pid and port are recorded in
`.infra/emulator-<port>.json`; `stop` only ever signals the process recorded there, and only if that
process is still our launcher on that port.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from deployment_infra.errors import InfraError

HOST = "127.0.0.1"
LAUNCHER_MODULE = "deployment_infra.emulator_server"
START_TIMEOUT_S = 60.0

# The services the provider and boto3 are pointed at on the local target. Keys are the
# hashicorp/aws provider's `endpoints` block names; boto3 uses the same single URL.
PROVIDER_ENDPOINT_SERVICES: tuple[str, ...] = (
    "acm",
    "appconfig",
    "applicationautoscaling",
    "backup",
    "budgets",
    "cloudformation",
    "cloudfront",
    "cloudwatch",
    "cloudwatchlogs",
    "configservice",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "efs",
    "elasticache",
    "elbv2",
    "events",
    "firehose",
    "iam",
    "kms",
    "lambda",
    "organizations",
    "rds",
    "resourcegroupstaggingapi",
    "route53",
    "s3",
    "secretsmanager",
    "servicediscovery",
    "sns",
    "sqs",
    "ssm",
    "sts",
)


@dataclass(frozen=True)
class EmulatorStatus:
    """What `infra emulator status` reports."""

    running: bool
    port: int
    pid: int | None
    url: str
    owned: bool  # started by infra from this project's run directory

    def to_dict(self) -> dict[str, object]:
        return {
            "running": self.running,
            "port": self.port,
            "pid": self.pid,
            "url": self.url,
            "owned": self.owned,
        }


class Emulator:
    """Start/stop/health of the moto server recorded under `run_dir`."""

    def __init__(self, run_dir: Path, port: int) -> None:
        self.run_dir = run_dir
        self.port = port
        self.state_file = (
            run_dir / f"emulator-{port}.json"
        )  # one record per port: emulators never clobber each other
        self.log_file = run_dir / f"emulator-{port}.log"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # -- queries -------------------------------------------------------------------------
    def healthy(self, timeout: float = 2.0) -> bool:
        """True when a moto server answers on our port."""
        try:
            with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=timeout) as resp:  # noqa: S310
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def recorded_pid(self) -> int | None:
        """The pid recorded for our port, if that process is still our launcher."""
        try:
            data = json.loads(self.state_file.read_text())
            pid, port = int(data["pid"]), int(data["port"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if port != self.port or not _is_our_launcher(pid, port):
            return None
        return pid

    def status(self) -> EmulatorStatus:
        pid = self.recorded_pid()
        running = self.healthy()
        return EmulatorStatus(running=running, port=self.port, pid=pid, url=self.url, owned=pid is not None)

    # -- actions -------------------------------------------------------------------------
    def ensure_running(self) -> EmulatorStatus:
        """Start the emulator unless ours already answers. Idempotent."""
        pid = self.recorded_pid()
        if pid is not None and self.healthy():
            return self.status()
        if pid is not None:  # ours, but not answering: wait a little (it may be starting)
            if self._wait_healthy(pid, deadline=time.monotonic() + START_TIMEOUT_S):
                return self.status()
            raise InfraError(
                f"the emulator (pid {pid}) on port {self.port} does not answer; see {self.log_file}"
            )
        if _port_in_use(self.port):
            raise InfraError(
                f"port {self.port} is held by another process (not an emulator started by infra here); "
                f"free it or set INFRA_EMULATOR_PORT to another port"
            )
        return self._start()

    def stop(self) -> bool:
        """Stop the emulator we started; False when there was none. Never touches other processes."""
        pid = self.recorded_pid()
        if pid is None:
            self.state_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _pid_alive(pid):
            time.sleep(0.1)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
        self.state_file.unlink(missing_ok=True)
        return True

    def reset(self) -> None:
        """Forget every resource (moto's reset API): used between test runs."""
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(req, timeout=10):  # noqa: S310
            pass

    def _start(self) -> EmulatorStatus:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_file.open("ab")
        env = dict(os.environ)
        env.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "false")
        # no DNS here: a DNS-validated ACM certificate is issued as soon as it is asked for
        env.setdefault("MOTO_ACM_VALIDATION_WAIT", "0")
        proc = subprocess.Popen(  # a daemon on purpose: later commands reuse it
            [sys.executable, "-m", LAUNCHER_MODULE, "--host", HOST, "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
        log.close()
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": proc.pid, "port": self.port, "started": time.time()}))
        tmp.replace(self.state_file)
        if not self._wait_healthy(proc.pid, deadline=time.monotonic() + START_TIMEOUT_S):
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            self.state_file.unlink(missing_ok=True)
            tail = _tail(self.log_file)
            raise InfraError(f"the emulator did not start on port {self.port}: {tail}")
        return self.status()

    def _wait_healthy(self, pid: int, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if self.healthy(timeout=1.0):
                return True
            if not _pid_alive(pid):
                return False
            time.sleep(0.2)
        return False


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child still "exists": treat it as dead
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        if stat.read_text().split(") ", 1)[1].startswith("Z"):
            return False
    return True


def _is_our_launcher(pid: int, port: int) -> bool:
    """Is `pid` alive and running our launcher on `port`? (Guards against pid reuse.)"""
    if not _pid_alive(pid):
        return False
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc (macOS): trust the record
    args = [a.decode(errors="replace") for a in argv]
    return LAUNCHER_MODULE in args and str(port) in args


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:]) or "(empty log)"


def free_port() -> int:
    """A free TCP port on loopback (tests give each emulator its own)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])
