"""Who runs terraform on this machine: the holder record infra keeps while a terraform that takes
the state lock runs, and the process checks that tell a running holder from a gone one.

The record (`lock-holder.json` in the environment's work dir) holds terraform's pid and start time
(a reused pid has another), infra's pid, host, user, commands, and the state path and endpoint it
locks. Live holders are found through this user's terraform processes and their TF_DATA_DIR (the
work dir's tf-data), so another checkout's runs on this machine count too. Linux (/proc); elsewhere
`proc_available()` is false and callers fall back to the lock's age.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shlex
import socket
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from deployment_infra.errors import InfraError

HOLDER_FILE = "lock-holder.json"
PROC = Path("/proc")


def me() -> tuple[str, str]:
    """(user, host) as terraform writes them in Who: os/user's name and os.Hostname()."""
    try:
        user = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        user = str(os.getuid())
    return user, socket.gethostname()


def proc_stat(pid: int, proc: Path = PROC) -> tuple[str, str, int] | None:
    """(command name, state letter, start time in ticks since boot) of `pid`, or None."""
    try:
        text = (proc / str(pid) / "stat").read_text()
    except (OSError, ValueError):
        return None
    name, _, rest = text.partition(" (")[2].rpartition(") ")
    fields = rest.split()
    if len(fields) < 20:
        return None
    return name, fields[0], int(fields[19])


def proc_available(proc: Path = PROC) -> bool:
    return (proc / "self" / "stat").is_file()


def is_running(pid: int, start: int | None, name: str = "terraform", proc: Path = PROC) -> bool:
    """Is `pid` still the process that was recorded: alive, not a zombie, called `name`, and (when
    recorded) started at the same tick? A reused pid fails the last two."""
    stat = proc_stat(pid, proc)
    if stat is None:
        return False
    comm, state, started = stat
    return state != "Z" and comm == name and (start is None or started == start)


@dataclass(frozen=True)
class Holder:
    """What infra records while a terraform that takes the state lock runs."""

    terraform_pid: int
    terraform_start: int | None
    infra_pid: int
    host: str
    user: str
    started: float
    command: str  # "terraform apply"
    infra_command: str  # "infra apply --env dev"
    state: str  # bucket/key, terraform's lock path
    endpoint: str
    work: str

    @classmethod
    def read(cls, path: Path) -> Holder | None:
        try:
            data = json.loads(path.read_text())
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})
        except (OSError, ValueError, TypeError, KeyError):
            return None


@dataclass
class HolderRecorder:
    """The Terraform hook: writes the holder record while a locking terraform command runs."""

    path: Path
    state: str
    endpoint: str

    def started(self, verb: str, pid: int) -> None:
        user, host = me()
        stat = proc_stat(pid)
        holder = Holder(
            terraform_pid=pid,
            terraform_start=stat[2] if stat else None,
            infra_pid=os.getpid(),
            host=host,
            user=user,
            started=time.time(),
            command=f"terraform {verb}",
            infra_command=shlex.join(["infra", *sys.argv[1:]])[:300],
            state=self.state,
            endpoint=self.endpoint,
            work=str(self.path.parent),
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(asdict(holder), indent=2, sort_keys=True) + "\n")
            tmp.replace(self.path)
        except OSError as exc:  # unrecorded, a live holder would look gone: do not run at all
            raise InfraError(f"cannot record the state lock holder in {self.path}: {exc.strerror}") from None

    def ended(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


def live_holders(proc: Path = PROC) -> list[Holder]:
    """Holder records of this user's running terraform processes, found through their TF_DATA_DIR
    (the work dir's tf-data): another checkout of the project on this machine counts too."""
    found: list[Holder] = []
    with contextlib.suppress(OSError):
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            stat = proc_stat(pid, proc)
            if stat is None or stat[0] != "terraform" or stat[1] == "Z":
                continue
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:  # another user's process
                continue
            data_dir = next(
                (e[len(b"TF_DATA_DIR=") :] for e in environ if e.startswith(b"TF_DATA_DIR=")), None
            )
            if not data_dir:
                continue
            holder = Holder.read(Path(os.fsdecode(data_dir)).parent / HOLDER_FILE)
            if holder and holder.terraform_pid == pid and holder.terraform_start in (None, stat[2]):
                found.append(holder)
    return found
