"""Proof that a built image works: its configuration (non-root user, HEALTHCHECK, labels, version) and
a real run of it: the image's own entry point and command in a working container (buildah run,
chroot isolation, the host's network), answering GET /health and GET /version from the host, its
HEALTHCHECK command passing inside, failing once the server is gone, and a graceful SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployment_infra.ci import buildah

# what buildah itself says when the command it ran exits non-zero
_BUILDAH_NOISE = ("Error: exit status", "subprocess exited")
START_TIMEOUT = 30.0  # seconds for the server to answer /health
STOP_TIMEOUT = 15.0  # seconds for it to exit after SIGTERM


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok' if self.ok else 'FAILED'}: {self.name}: {self.detail}"


def docker_config(info: dict[str, Any]) -> dict[str, Any]:
    """The Docker-format config of a `buildah inspect` image ({} when absent)."""
    docker = info.get("Docker")
    config = docker.get("config") if isinstance(docker, dict) else None
    return config if isinstance(config, dict) else {}


def healthcheck_argv(config: dict[str, Any]) -> list[str]:
    """The HEALTHCHECK command as an argv ([] when there is none or it is NONE)."""
    test = (config.get("Healthcheck") or {}).get("Test") or []
    if not test or test[0] == "NONE":
        return []
    if test[0] == "CMD":
        return [str(a) for a in test[1:]]
    if test[0] == "CMD-SHELL" and len(test) > 1:
        return ["/bin/sh", "-c", str(test[1])]
    return []


def is_root_user(user: str) -> bool:
    """Docker's USER: empty (the default), `root` or uid 0, with or without a group, is root."""
    name = user.split(":", 1)[0].strip()
    return name in ("", "root", "0")


def config_checks(config: dict[str, Any], sha: str) -> list[Check]:
    """What the image configuration must say, before anything runs."""
    user = str(config.get("User") or "")
    labels = config.get("Labels") or {}
    env = dict(str(e).split("=", 1) for e in config.get("Env") or [] if "=" in str(e))
    health = healthcheck_argv(config)
    return [
        Check("user", not is_root_user(user), f"USER {user!r}" if user else "no USER: runs as root"),
        Check("healthcheck", bool(health), " ".join(health) if health else "no HEALTHCHECK"),
        Check(
            "label revision",
            labels.get("org.opencontainers.image.revision") == sha,
            f"org.opencontainers.image.revision={labels.get('org.opencontainers.image.revision')!r}",
        ),
        Check("APP_VERSION", env.get("APP_VERSION") == sha, f"APP_VERSION={env.get('APP_VERSION')!r}"),
        Check("command", bool(config.get("Cmd") or config.get("Entrypoint")), "CMD/ENTRYPOINT set"),
    ]


def version_answer(body: bytes) -> str:
    """The version a /version answer states: JSON {"version": ...} or plain text."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text
    return str(data.get("version", "")) if isinstance(data, dict) else text


def listener_uid(port: int, tables: tuple[str, ...] = ("/proc/net/tcp", "/proc/net/tcp6")) -> int | None:
    """The uid owning the socket listening on `port` (state 0A), from the kernel's socket tables."""
    for table in tables:
        try:
            rows = Path(table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 7 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                return int(cols[7])
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (http://127.0.0.1 only)
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def run_checks(image: str, sha: str, work: Path) -> tuple[list[Check], dict[str, float]]:
    """Run the image and probe it; the working container is always removed. Returns the checks and
    the seconds each phase took."""
    info = buildah.inspect_image(image)
    config = docker_config(info)
    checks = config_checks(config, sha)
    timings: dict[str, float] = {}
    name = buildah.working_name("verify")
    made = buildah.run("from", "--pull=never", "--name", name, image, timeout=300)
    if made.returncode != 0:
        return [*checks, Check("run", False, f"buildah from failed: {made.output[-300:]}")], timings
    try:
        checks += _run_server(name, config, sha, work, timings)
    finally:
        buildah.remove_container(name)
    return checks, timings


def _run_server(
    name: str, config: dict[str, Any], sha: str, work: Path, timings: dict[str, float]
) -> list[Check]:
    port = free_port()
    command = [str(a) for a in (config.get("Entrypoint") or []) + (config.get("Cmd") or [])]
    log = work / "image-run.log"
    argv = buildah.argv(
        "run", "--isolation", buildah.ISOLATION, "--env", f"PORT={port}", name, "--", *command
    )
    start = time.monotonic()
    with log.open("wb") as out:
        server = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    checks: list[Check] = []
    try:
        status, body = _wait_healthy(port, server)
        timings["start"] = time.monotonic() - start
        checks.append(
            Check(
                "GET /health",
                status == 200,
                f"HTTP {status} from 127.0.0.1:{port}" if status else body.decode(),
            )
        )
        if status != 200:
            return [*checks, Check("server log", False, _log_tail(log))]
        status, body = _get(f"http://127.0.0.1:{port}/version")
        answered = version_answer(body)
        checks.append(
            Check("GET /version", status == 200 and answered == sha, f"HTTP {status}, version {answered!r}")
        )
        uid = listener_uid(port)
        checks.append(Check("runs as", uid is not None and uid != 0, f"uid {uid} listens on port {port}"))
        health = healthcheck_argv(config)
        if health:
            checks.append(_healthcheck(name, health, port, "HEALTHCHECK while serving", expect_ok=True))
        checks.append(_stop(server, log))
        if health:
            checks.append(_healthcheck(name, health, port, "HEALTHCHECK after stop", expect_ok=False))
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
    return checks


def _wait_healthy(port: int, server: subprocess.Popen[bytes]) -> tuple[int, bytes]:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return 0, f"the server exited {server.returncode} before answering".encode()
        try:
            status, body = _get(f"http://127.0.0.1:{port}/health", timeout=2)
        except OSError:
            time.sleep(0.2)
            continue
        return status, body
    return 0, f"no answer on 127.0.0.1:{port} within {START_TIMEOUT:g} s".encode()


def _healthcheck(name: str, argv: list[str], port: int, what: str, *, expect_ok: bool) -> Check:
    done = buildah.run(
        "run", "--isolation", buildah.ISOLATION, "--env", f"PORT={port}", name, "--", *argv, timeout=60
    )
    ok = (done.returncode == 0) == expect_ok
    said = next((ln for ln in done.output.splitlines() if not ln.startswith(_BUILDAH_NOISE)), "")
    return Check(what, ok, f"exit {done.returncode}" + (f" ({said})" if said else ""))


def _stop(server: subprocess.Popen[bytes], log: Path) -> Check:
    """SIGTERM to the server process itself (buildah's own processes would kill it, not stop it)."""
    for pid in _session_leaves(server.pid):
        os.kill(pid, signal.SIGTERM)
    try:
        code = server.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        return Check("SIGTERM", False, f"still running {STOP_TIMEOUT:g} s after SIGTERM")
    detail = f"exit {code}" + ("" if code == 0 else f": {_log_tail(log)}")
    return Check("SIGTERM", code == 0, detail)


def _session_leaves(sid: int) -> list[int]:
    """Processes of session `sid` (the one buildah run started in) that have no child in it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "(comm)": state ppid pgrp session ...
        if int(fields[3]) == sid:
            parents[int(entry.name)] = int(fields[1])
    return [pid for pid in parents if pid not in parents.values()]


def _log_tail(log: Path, lines: int = 5) -> str:
    try:
        return " | ".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
