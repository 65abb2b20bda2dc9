"""A scratch PostgreSQL cluster on this machine: initdb in a temporary directory, 127.0.0.1 only.

Used by the local backup drill (`infra ops verify-backup --target local`), its benchmark and the
backup-verification tests. initdb refuses to run as root, so as root every server-side binary runs
as the `postgres` (else `nobody`) user, and the cluster's directory belongs to that user.
Authentication is scram-sha-256 with a random superuser password, even on the loopback: other local
users must not get into a database holding a copy of production data.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pg8000.native

from deployment_infra.emulator import free_port
from deployment_infra.errors import InfraError

SUPERUSER = "postgres"
SERVER_TOOLS = ("initdb", "pg_ctl", "pg_dump", "pg_restore", "pg_basebackup", "psql")


def postgres_bindir() -> Path:
    """The directory holding initdb, pg_ctl and the client tools: PATH, `pg_config --bindir` or
    /usr/lib/postgresql/*/bin (newest); InfraError naming what to install when there is none."""
    candidates: list[Path] = []
    if found := shutil.which("initdb"):
        candidates.append(Path(found).resolve().parent)
    if pg_config := shutil.which("pg_config"):
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += [Path(p) for p in sorted(versions, key=lambda p: (len(p), p), reverse=True)]  # 15 < 16
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in SERVER_TOOLS):
            return bindir
    raise InfraError(
        "PostgreSQL server binaries (initdb, pg_ctl, pg_dump, pg_restore, pg_basebackup, psql) not found "
        "on PATH, via pg_config or in /usr/lib/postgresql/*/bin: install them (Debian: apt-get install "
        "postgresql)"
    )


def server_user() -> str | None:
    """Who runs the server: None (ourselves) unless we are root, which initdb refuses."""
    if os.geteuid() != 0:
        return None
    for candidate in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(candidate)
            return candidate
    raise InfraError("running as root and there is no postgres or nobody user to run PostgreSQL as")


@dataclass
class LocalCluster:
    """One PostgreSQL cluster in `data`, listening on 127.0.0.1:`port` while started."""

    bindir: Path
    base: Path
    data: Path
    port: int
    password: str
    run_as: str | None
    started: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)
    _admin: Any = field(default=None, repr=False)

    # -- processes -------------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C",
            "LANG": "C",
            "PGPASSWORD": self.password,
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port),
            "PGUSER": SUPERUSER,
            "PGCONNECT_TIMEOUT": "10",
            **self.extra_env,
        }

    def tool(self, name: str, *args: str, timeout: float = 300, check: bool = True) -> str:
        """Run a PostgreSQL binary against this cluster (as the server user); its stdout."""
        done = subprocess.run(
            [str(self.bindir / name), *args],
            user=self.run_as,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            cwd=self.base,
        )
        if check and done.returncode != 0:
            message = (done.stderr or done.stdout).strip().splitlines()
            raise InfraError(f"{name} failed: {message[-1] if message else f'exit {done.returncode}'}")
        return done.stdout

    def start(self, timeout: int = 60) -> None:
        log = self.base / f"server-{self.port}.log"
        done = subprocess.run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(log),
                "-w",
                "-t",
                str(timeout),
                "start",
            ],
            user=self.run_as,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout + 30,
            cwd=self.base,
        )
        if done.returncode != 0:
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
            raise InfraError(f"PostgreSQL in {self.data} did not start: {(tail or [done.stderr.strip()])[0]}")
        self.started = True

    def stop(self) -> None:
        self.close_admin()
        if self.started:
            self.tool("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False, timeout=90)
            self.started = False

    # -- SQL -------------------------------------------------------------------------------------
    def connect(self, database: str = "postgres") -> Any:
        return pg8000.native.Connection(
            user=SUPERUSER, password=self.password, host="127.0.0.1", port=self.port, database=database
        )

    def run(self, sql: str, database: str = "postgres", **params: Any) -> list[list[Any]]:
        if database == "postgres":  # one kept connection: a SCRAM login costs ~0.2 s in pg8000
            if self._admin is None:
                self._admin = self.connect()
            return list(self._admin.run(sql, **params) or [])
        con = self.connect(database)
        try:
            return list(con.run(sql, **params) or [])
        finally:
            con.close()

    def close_admin(self) -> None:
        if self._admin is not None:
            with contextlib.suppress(Exception):
                self._admin.close()
            self._admin = None

    def create_database(self, name: str) -> None:
        self.run(f'CREATE DATABASE "{name}"')

    def drop_database(self, name: str) -> None:
        self.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def write_conf(self, lines: Sequence[str]) -> None:
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n" + "\n".join(lines) + "\n")

    def chown(self, path: Path) -> None:
        """Give `path` to the server user (a directory or file it must write)."""
        if self.run_as:
            account = pwd.getpwnam(self.run_as)
            os.chown(path, account.pw_uid, account.pw_gid)

    def sibling(self, data: Path, port: int | None = None) -> LocalCluster:
        """Another cluster in the same base directory and credentials (a restored copy of this one)."""
        return LocalCluster(
            self.bindir, self.base, data, port or free_port(), self.password, self.run_as, False
        )


def base_settings(port: int, socket_dir: Path) -> list[str]:
    # no durability needed for a scratch copy; only loopback, and the socket in our own directory
    return [
        "listen_addresses = '127.0.0.1'",
        f"port = {port}",
        f"unix_socket_directories = '{socket_dir}'",
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = on",
    ]


def init_cluster(prefix: str = "infra-pg-", settings: Sequence[str] = ()) -> LocalCluster:
    """A new cluster in a fresh temporary directory (not started); `settings` go in postgresql.conf."""
    bindir = postgres_bindir()
    run_as = server_user()
    # not pytest's tmp_path or a private dir: the server may run as another user
    base = Path(tempfile.mkdtemp(prefix=prefix))
    password = uuid.uuid4().hex
    (base / "pwfile").write_text(password + "\n")
    cluster = LocalCluster(bindir, base, base / "data", free_port(), password, run_as)
    for path in (base, base / "pwfile"):
        cluster.chown(path)
    cluster.tool(
        "initdb",
        "-D",
        str(cluster.data),
        "-U",
        SUPERUSER,
        "-A",
        "scram-sha-256",
        f"--pwfile={base / 'pwfile'}",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
        timeout=120,
    )
    (base / "pwfile").unlink()
    cluster.write_conf([*base_settings(cluster.port, base), *settings])
    return cluster


def destroy(clusters: Sequence[LocalCluster]) -> None:
    """Stop every cluster and remove their base directories (each at most once)."""
    bases: list[Path] = []
    for cluster in clusters:
        with contextlib.suppress(Exception):
            cluster.stop()
        if cluster.base not in bases:
            bases.append(cluster.base)
    for base in bases:
        shutil.rmtree(base, ignore_errors=True)


def wait_until(predicate: Any, timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if predicate():
                return
        time.sleep(interval)
    raise InfraError(f"timed out after {timeout:.0f}s waiting for {what}")
