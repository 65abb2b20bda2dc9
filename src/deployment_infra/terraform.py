"""The only place that runs terraform.

It writes the project's Terraform CLI config (the machine's provider mirror when present), runs
init / plan -out / show -json / apply (saved plan) / output / state with streamed progress and a
timeout, and turns the common failures into one-line errors.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from deployment_infra.aws_errors import describe_terraform_aws_error, first_diagnostic
from deployment_infra.errors import InfraError

MIN_VERSION = (1, 11)
MIRROR_ENV = "INFRA_PROVIDER_MIRROR"
DEFAULT_MIRRORS = ("/opt/tf-plugins", "/usr/share/terraform/plugins", "~/.terraform.d/plugins")
TIMEOUT_ENV = "INFRA_TF_TIMEOUT"
DEFAULT_TIMEOUT_S = 1800.0

Progress = Callable[[str], None]


class TerraformError(InfraError):
    """terraform failed; the message is one line."""


class StateLockedError(TerraformError):
    """The state is locked by another run."""

    def __init__(
        self, message: str, lock_id: str | None, who: str | None = None, created: str | None = None
    ) -> None:
        super().__init__(message)
        self.lock_id = lock_id
        self.who = who
        self.created = created


class LockHolderHook(Protocol):
    """Told when a terraform command that takes the state lock starts (its pid) and ends."""

    def started(self, verb: str, pid: int) -> None: ...

    def ended(self) -> None: ...


# Commands that take the state lock (force-unlock releases it; show/output/init only read).
LOCKING_VERBS = frozenset({"plan", "apply", "destroy", "refresh", "import", "taint", "untaint"})
INTERRUPT_GRACE_S = 30.0  # after a timeout: SIGINT (terraform saves state, drops the lock), then kill


def find_mirror() -> Path | None:
    """The provider filesystem mirror: $INFRA_PROVIDER_MIRROR, else a known location holding aws."""
    explicit = os.environ.get(MIRROR_ENV)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_dir():
            raise InfraError(f"{MIRROR_ENV}={explicit} is not a directory")
        return path
    for candidate in DEFAULT_MIRRORS:
        path = Path(candidate).expanduser()
        if (path / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
            return path
    return None


def cli_config_text(mirror: Path | None) -> str:
    """CLI config: providers from the mirror when there is one, else the registry."""
    if mirror is None:
        return "# no provider mirror found: providers come from the registry\n"
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        "  direct {\n"
        '    exclude = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        "}\n"
    )


def write_cli_config(run_dir: Path) -> Path:
    """Write (if changed) the project's CLI config under `run_dir` and return its path."""
    path = run_dir / "terraform.tfrc"
    text = cli_config_text(find_mirror())
    run_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


_version_checked: dict[str, tuple[int, int, int]] = {}


def check_version(binary: str = "terraform") -> tuple[int, int, int]:
    """terraform's version; a one-line error when missing or older than 1.11."""
    if binary in _version_checked:
        return _version_checked[binary]
    path = shutil.which(binary)
    if path is None:
        raise InfraError("terraform not found on PATH: install terraform >= 1.11")
    out = subprocess.run([path, "version", "-json"], capture_output=True, text=True, timeout=60, check=False)
    try:
        text = json.loads(out.stdout)["terraform_version"]
    except (ValueError, KeyError):
        text = out.stdout
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", str(text))
    if not match:
        raise InfraError(f"cannot read terraform's version from {path}")
    version = (int(match[1]), int(match[2]), int(match[3]))
    if version[:2] < MIN_VERSION:
        raise InfraError(f"terraform {'.'.join(map(str, version))} is too old: need >= 1.11")
    _version_checked[binary] = version
    return version


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Terraform:
    """terraform bound to one root module, one data dir and one environment."""

    root: Path
    data_dir: Path
    env: Mapping[str, str]
    progress: Progress | None = None
    timeout: float = float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_S))
    what: str = ""  # how errors name this root, e.g. "environment dev"
    holder: LockHolderHook | None = None  # told the pid of each command that takes the state lock

    def _environ(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.env)
        env["TF_DATA_DIR"] = str(self.data_dir)
        env["TF_IN_AUTOMATION"] = "1"
        env["TF_INPUT"] = "0"
        env.setdefault("CHECKPOINT_DISABLE", "1")
        return env

    def run(self, args: Sequence[str], *, stream: bool = True, ok_codes: Sequence[int] = (0,)) -> Result:
        """Run terraform ARGS in the root; stream stdout lines to `progress`; classify failures."""
        check_version()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = ["terraform", *args]
        proc = subprocess.Popen(
            cmd,
            cwd=self.root,
            env=self._environ(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
        )
        out_lines: list[str] = []
        err_tail: deque[str] = deque(maxlen=400)

        stdout, stderr = proc.stdout, proc.stderr
        if stdout is None or stderr is None:  # pragma: no cover - PIPE always gives both
            raise TerraformError("could not read terraform's output")

        def pump_err() -> None:
            for line in stderr:
                err_tail.append(line)

        reader = threading.Thread(target=pump_err, daemon=True)
        reader.start()
        timer = threading.Timer(self.timeout, _interrupt, args=(proc,))
        timer.start()
        started = time.monotonic()
        holder = self.holder if args[0] in LOCKING_VERBS else None
        try:
            if holder is not None:
                try:
                    holder.started(args[0], proc.pid)
                except Exception:
                    _interrupt(proc)  # before it takes the lock, as far as it got
                    raise
            for line in stdout:
                out_lines.append(line)
                if stream and self.progress and line.strip():
                    self.progress(line.rstrip("\n"))
            proc.wait()
        finally:
            timer.cancel()
            if holder is not None:
                holder.ended()
            reader.join(timeout=5)
        result = Result(proc.returncode, "".join(out_lines), "".join(err_tail))
        what = self.what or str(self.root)
        if time.monotonic() - started >= self.timeout and proc.returncode != 0:
            raise TerraformError(f"terraform {args[0]} on {what} timed out after {self.timeout:.0f}s")
        if result.returncode < 0:  # killed: it could neither save its state nor drop its lock
            name = signal.Signals(-result.returncode).name if -result.returncode in _SIGNALS else "a signal"
            raise TerraformError(
                f"terraform {args[0]} on {what} was killed ({name}) before it finished: its state lock "
                "may be left behind; the next plan says whose it is and what to do"
            )
        if result.returncode not in ok_codes:
            raise classify_failure(args[0], result, self.what or str(self.root))
        return result

    # -- verbs ---------------------------------------------------------------------------
    def init(
        self, backend_config: Mapping[str, Any] | Path | None = None, *, reconfigure: bool = True
    ) -> None:
        args = ["init", "-input=false", "-no-color"]
        if reconfigure:
            args.append("-reconfigure")
        if isinstance(backend_config, Path):
            args.append(f"-backend-config={backend_config}")
        elif backend_config:
            args += [f"-backend-config={k}={v}" for k, v in backend_config.items()]
        self.run(args)

    def plan(
        self,
        out: Path,
        var_file: Path | None = None,
        *,
        destroy: bool = False,
        lock_timeout: str = "0s",
        refresh: bool = True,
    ) -> bool:
        """Save a plan to `out`; True when it has changes."""
        out.parent.mkdir(parents=True, exist_ok=True)
        args = [
            "plan",
            "-input=false",
            "-no-color",
            "-detailed-exitcode",
            f"-out={out}",
            f"-lock-timeout={lock_timeout}",
        ]
        if var_file:
            args.append(f"-var-file={var_file}")
        if destroy:
            args.append("-destroy")
        if not refresh:
            args.append("-refresh=false")
        return self.run(args, ok_codes=(0, 2)).returncode == 2

    def show_json(self, plan: Path | None = None) -> dict[str, Any]:
        """`terraform show -json` of a saved plan (or of the state when `plan` is None)."""
        args = ["show", "-json", "-no-color"]
        if plan is not None:
            args.append(str(plan))
        result = self.run(args, stream=False)
        try:
            data: dict[str, Any] = json.loads(result.stdout)
        except ValueError as exc:
            raise TerraformError(f"terraform show -json printed invalid JSON: {exc}") from None
        return data

    def apply(self, plan: Path, *, lock_timeout: str = "0s") -> None:
        self.run(["apply", "-input=false", "-no-color", f"-lock-timeout={lock_timeout}", str(plan)])

    def output_json(self) -> dict[str, Any]:
        result = self.run(["output", "-json", "-no-color"], stream=False)
        data: dict[str, Any] = json.loads(result.stdout or "{}")
        return data

    def force_unlock(self, lock_id: str) -> None:
        self.run(["force-unlock", "-force", "-no-color", lock_id])


_SIGNALS = frozenset(s.value for s in signal.Signals)


def _interrupt(proc: subprocess.Popen[str]) -> None:
    """Stop terraform at its timeout: SIGINT first (it saves its state and drops the lock), kill
    after INTERRUPT_GRACE_S."""
    with contextlib.suppress(OSError):
        proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + INTERRUPT_GRACE_S
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
    if proc.poll() is None:
        proc.kill()


_LOCK_ID = re.compile(r"ID:\s+([0-9a-fA-F-]{8,})")
_LOCK_WHO = re.compile(r"Who:\s+(\S+)")
_LOCK_WHEN = re.compile(r"Created:\s+(.+)")


def classify_failure(verb: str, result: Result, what: str) -> TerraformError:
    """Turn terraform's error output into one line that says what to do."""
    text = result.stderr + result.stdout
    # diagnostics go to stderr; stdout's progress lines after them would read as an error's detail
    errors = result.stderr if "Error:" in result.stderr else text
    if "Error acquiring the state lock" in text or ("PreconditionFailed" in text and "lock" in text.lower()):
        lock_id = m[1] if (m := _LOCK_ID.search(text)) else None
        who = m[1] if (m := _LOCK_WHO.search(text)) else "another run"
        when = m[1].strip() if (m := _LOCK_WHEN.search(text)) else "an unknown time"
        return StateLockedError(
            f"the state of {what} is locked by {who} since {when} (lock id {lock_id or '?'}): "
            "wait for that run to finish, then retry",
            lock_id,
            who if _LOCK_WHO.search(text) else None,
            when if _LOCK_WHEN.search(text) else None,
        )
    if re.search(r"connect(ion)? refused|dial tcp 127\.0\.0\.1:\d+", text):
        return TerraformError(
            f"terraform {verb} on {what}: the AWS endpoint refused the connection "
            "(is the emulator running? `infra emulator start`)"
        )
    if "No valid credential sources found" in text or "failed to refresh cached credentials" in text:
        return TerraformError(
            f"terraform {verb} on {what}: no AWS credentials (set AWS_PROFILE or AWS_* variables, "
            "or use OIDC in GitHub Actions)"
        )
    if "Saved plan is stale" in text:
        return TerraformError(
            f"the saved plan of {what} is stale (state changed since): run `infra plan` again"
        )
    if aws := describe_terraform_aws_error(errors):  # throttling, 5xx after the provider's retries...
        return TerraformError(f"terraform {verb} on {what} failed: {aws}")
    return TerraformError(f"terraform {verb} on {what} failed: {first_error(errors)}")


def first_error(text: str) -> str:
    """The first error's summary, detail and resource from terraform's output (else its last line)."""
    if diagnostic := first_diagnostic(text):
        return diagnostic.one_line()
    tail = [ln.strip(" │╷╵\t") for ln in text.splitlines() if ln.strip(" │╷╵\t")]
    return tail[-1] if tail else "exit code unknown, no output"
