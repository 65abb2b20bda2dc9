"""Who holds an environment's state lock, and is that holder still running?

Terraform's lock (the S3 lockfile `<key>.tflock` and the DynamoDB item, both holding its LockInfo
JSON: ID, Operation, Who "user@host", Created) says who took it, not whether that run still exists.
`infra` fills the gap on this machine: while a terraform that takes the lock runs, the environment's
work dir holds `lock-holder.json` (terraform's pid and start time, infra's pid, host, command, state
path). A lock taken here is held by a running terraform when one of this user's terraform processes
(found through its TF_DATA_DIR, so another checkout's runs count too) recorded that state; else its
holder is gone. A lock from another machine counts as gone once it is older than any run lasts:
INFRA_TF_TIMEOUT plus a margin, since infra stops terraform at its timeout.

The run lock (an flock on `run.lock` in the work dir) keeps two `infra` runs of one checkout off one
environment; the OS drops it when its holder dies, so a killed run never blocks the next one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from deployment_infra import terraform as tf
from deployment_infra.errors import InfraError
from deployment_infra.lock_holders import (
    HOLDER_FILE,
    PROC,
    Holder,
    is_running,
    live_holders,
    me,
    proc_available,
)

RUN_LOCK_FILE = "run.lock"
LOCKFILE_SUFFIX = ".tflock"  # the S3 backend's use_lockfile object: <key>.tflock
MARGIN_S = 300.0  # beyond the terraform timeout: infra's interrupt grace and clock skew
SKEW_S = 5.0  # a lock is created after its terraform started; allow this much clock noise


class RunLockedError(InfraError):
    """Another `infra` run of this checkout is working on the environment."""


# -- the lock as terraform wrote it ----------------------------------------------------------
_CREATED = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(\.\d+)?\s*(Z|[+-]\d\d:?\d\d)?")


def parse_created(text: str | None) -> datetime | None:
    """Terraform's lock time: Go's JSON time (nanoseconds, Z) or its text form (+0000 UTC)."""
    match = _CREATED.search(text or "")
    if not match:
        return None
    day, clock, fraction, zone = match.groups()
    micro = (fraction or ".0")[1:7].ljust(6, "0")
    offset = "+00:00" if zone in (None, "Z") else f"{zone[:3]}:{zone[-2:]}"
    try:
        return datetime.fromisoformat(f"{day}T{clock}.{micro}{offset}")
    except ValueError:
        return None


@dataclass(frozen=True)
class LockInfo:
    """A state lock as terraform recorded it."""

    id: str
    who: str = ""
    operation: str = ""
    created: datetime | None = None
    path: str = ""

    @classmethod
    def from_json(cls, data: Any) -> LockInfo | None:
        if not isinstance(data, dict) or not isinstance(data.get("ID"), str) or not data["ID"]:
            return None
        return cls(
            id=data["ID"],
            who=str(data.get("Who") or ""),
            operation=str(data.get("Operation") or ""),
            created=parse_created(str(data.get("Created") or "")),
            path=str(data.get("Path") or ""),
        )

    @property
    def host(self) -> str:
        return self.who.rpartition("@")[2] if "@" in self.who else ""

    @property
    def user(self) -> str:
        return self.who.rpartition("@")[0]

    @property
    def verb(self) -> str:
        """'apply' for OperationTypeApply."""
        return self.operation.removeprefix("OperationType").lower() or "an operation"

    @property
    def since(self) -> str:
        return self.created.strftime("%Y-%m-%d %H:%M:%S UTC") if self.created else "an unknown time"

    def age(self, now: float) -> float | None:
        return None if self.created is None else now - self.created.timestamp()

    def to_dict(self) -> dict[str, Any]:
        created = self.created.isoformat() if self.created else None
        return {"id": self.id, "who": self.who, "operation": self.operation, "created": created}


@dataclass(frozen=True)
class LockRef:
    """Where one environment's lock lives (from its backend config) and how to read it."""

    environment: str
    target: str
    client: Callable[[str, str], Any]  # the target's boto3 client factory
    bucket: str
    key: str
    region: str
    table: str | None
    endpoint: str  # the S3 endpoint ("" for real AWS): emulators on other ports are other worlds
    work: Path  # the environment's work dir on this machine

    @property
    def path(self) -> str:
        """Terraform's lock path: bucket/key."""
        return f"{self.bucket}/{self.key}"

    def unlock_command(self, lock_id: str) -> str:
        target = "" if self.target == "local" else f" --target {self.target}"
        return f"infra unlock --env {self.environment}{target} {lock_id}"


def read_lock(ref: LockRef) -> LockInfo | None:
    """The current lock (S3 lockfile first, then the DynamoDB item), or None. Read-only."""
    what = f"the state lock of {ref.environment}"
    try:
        s3 = ref.client("s3", ref.region)
        try:
            body = s3.get_object(Bucket=ref.bucket, Key=ref.key + LOCKFILE_SUFFIX)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404", "NotFound"):
                raise
        else:
            return LockInfo.from_json(_json(body)) or LockInfo(id="?", path=ref.path)
        if ref.table:
            item = (
                ref.client("dynamodb", ref.region)
                .get_item(TableName=ref.table, Key={"LockID": {"S": ref.path}}, ConsistentRead=True)
                .get("Item")
            )
            if item and "Info" in item:
                return LockInfo.from_json(_json(item["Info"].get("S", ""))) or LockInfo(id="?", path=ref.path)
    except (ClientError, BotoCoreError) as exc:
        raise InfraError(f"cannot read {what}: {str(exc).splitlines()[0]}") from None
    return None


def _json(raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


# -- the verdict -----------------------------------------------------------------------------
class Status(StrEnum):
    RUNNING = "running"  # a terraform holding it runs on this machine: wait
    GONE = "gone"  # its holder is not running (or the lock outlived any run): it may be released
    ELSEWHERE = "elsewhere"  # taken by a run this machine cannot see, young enough to be running


@dataclass(frozen=True)
class Verdict:
    status: Status
    lock: LockInfo
    holder: Holder | None
    reason: str


def max_run_seconds() -> float:
    """How long a run can hold the lock: the terraform timeout plus a margin."""
    try:
        timeout = float(os.environ.get(tf.TIMEOUT_ENV, tf.DEFAULT_TIMEOUT_S))
    except ValueError:
        timeout = tf.DEFAULT_TIMEOUT_S
    return timeout + MARGIN_S


def judge(
    lock: LockInfo,
    *,
    state: str,
    endpoint: str,
    holders: list[Holder],
    now: float | None = None,
    max_age: float | None = None,
    user_host: tuple[str, str] | None = None,
    proc: Path = PROC,
) -> Verdict:
    """Is the holder of `lock` (on state `state` behind `endpoint`) running, gone, or elsewhere?"""
    now = time.time() if now is None else now
    max_age = max_run_seconds() if max_age is None else max_age
    user, host = user_host or me()
    created = lock.created.timestamp() if lock.created else None
    if lock.host == host and lock.user == user and proc_available(proc):
        mine = [h for h in holders if h.state == state and h.endpoint == endpoint and h.host == host]
        for h in mine:
            if is_running(h.terraform_pid, h.terraform_start, proc=proc) and (
                created is None or h.started <= created + SKEW_S
            ):
                return Verdict(Status.RUNNING, lock, h, f"terraform pid {h.terraform_pid} runs")
        last = mine[0] if mine else None
        why = (
            f"{last.command} (pid {last.terraform_pid}, `{last.infra_command}`) is no longer running"
            if last
            else "no terraform on this machine holds it"
        )
        return Verdict(Status.GONE, lock, last, why)
    age = lock.age(now)
    if age is not None and age > max_age:
        return Verdict(
            Status.GONE, lock, None, f"it is {age / 60:.0f} min old; no run lasts over {max_age / 60:.0f} min"
        )
    return Verdict(Status.ELSEWHERE, lock, None, "taken by a run this machine cannot see")


def holder_candidates(ref: LockRef, proc: Path = PROC) -> list[Holder]:
    """This checkout's own record (alive or left behind) first, then live ones from anywhere here."""
    own = Holder.read(ref.work / HOLDER_FILE)
    return [*([own] if own else []), *live_holders(proc)]


def assess(ref: LockRef, lock: LockInfo) -> Verdict:
    return judge(lock, state=ref.path, endpoint=ref.endpoint, holders=holder_candidates(ref))


def describe(verdict: Verdict, ref: LockRef) -> str:
    """One line: whose lock it is and what to do about it."""
    lock, holder = verdict.lock, verdict.holder
    head = f"the state of {ref.environment} ({ref.target}) is locked (lock id {lock.id}"
    if verdict.status is Status.RUNNING and holder is not None:
        where = "" if Path(holder.work) == ref.work else f" in {_checkout(Path(holder.work))}"
        return (
            f"{head}) by a running terraform (pid {holder.terraform_pid}, `{holder.infra_command}`{where}) "
            f"since {lock.since}: wait for it to finish, then retry"
        )
    if verdict.status is Status.GONE:
        return (
            f"{head}, {lock.verb} by {lock.who or 'an unknown holder'} since {lock.since}) and its holder "
            f"is gone ({verdict.reason}): release it with `{ref.unlock_command(lock.id)}`"
        )
    place = "on another machine" if lock.host != me()[1] else "(another user on this machine)"
    free_at = (
        datetime.fromtimestamp(lock.created.timestamp() + max_run_seconds(), UTC).strftime("%H:%M UTC")
        if lock.created
        else "when its run would have ended"
    )
    return (
        f"{head}) by {lock.who or 'an unknown holder'} {place} since {lock.since}: wait for that run "
        f"to finish; if it is gone, `{ref.unlock_command(lock.id)}` can release it from {free_at}"
    )


def _checkout(work: Path) -> Path:
    """The project directory of a work dir (<project>/.infra/<target>/<name>)."""
    return next((p.parent for p in work.parents if p.name == ".infra"), work)


def explain(ref: LockRef, exc: tf.StateLockedError) -> tf.StateLockedError:
    """The StateLockedError terraform gave, told with the holder's status from the backend."""
    try:
        lock = read_lock(ref)
    except InfraError:
        lock = LockInfo(id=exc.lock_id or "?", who=exc.who or "", created=parse_created(exc.created))
    if lock is None:
        return tf.StateLockedError(
            f"the state of {ref.environment} was locked by {exc.who or 'another run'} (lock id "
            f"{exc.lock_id or '?'}) and is free now: retry",
            exc.lock_id,
        )
    return tf.StateLockedError(describe(assess(ref, lock), ref), lock.id)


# -- the run lock ----------------------------------------------------------------------------
@contextlib.contextmanager
def run_lock(work: Path, label: str, command: str) -> Iterator[None]:
    """Hold the run lock of work dir `work` (environment `label`, e.g. "dev (local)") while
    `command` runs; another holder makes it fail at once with RunLockedError."""
    work.mkdir(parents=True, exist_ok=True)
    fd = os.open(work / RUN_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLockedError(_run_lock_message(fd, label)) from None
        record = json.dumps({"pid": os.getpid(), "command": command, "started": time.time()})
        os.ftruncate(fd, 0)
        os.pwrite(fd, record.encode(), 0)
        yield
    finally:
        os.close(fd)  # closing drops the flock


def _run_lock_message(fd: int, label: str) -> str:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
        who = f"pid {int(data['pid'])}, `{data['command']}`"
    except (OSError, ValueError, KeyError, TypeError):
        who = "starting"
    return (
        f"another infra run ({who}) is working on {label}, which is locked until it ends: "
        "wait for it to finish (or stop it), then retry"
    )
