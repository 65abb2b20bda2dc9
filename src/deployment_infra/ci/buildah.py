"""buildah, daemonless and as root: every call uses the same storage driver and isolation, so what
one call builds the next one sees.

vfs works anywhere (no overlay or FUSE inside a container) but stores each layer as a full copy:
builds keep few layers (no --layers) and the step removes what it made. chroot isolation needs no
user namespaces or OCI runtime and shares the host's network (npm reaches its registry, and the
image's server is reachable on 127.0.0.1).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from deployment_infra.ci import process

STORAGE_DRIVER = "vfs"
ISOLATION = "chroot"
WORKING_PREFIX = "infra-ci-"  # working containers this package makes: infra-ci-<purpose>-<pid>
_ENV = {"BUILDAH_ISOLATION": ISOLATION, "BUILDAH_FORMAT": "docker"}


def argv(*args: str) -> list[str]:
    return ["buildah", "--storage-driver", STORAGE_DRIVER, *args]


def run(*args: str, cwd: Path = Path("/"), timeout: float = 300) -> process.Completed:
    return process.run(argv(*args), cwd, env=_ENV, timeout=timeout)


def available() -> bool:
    return process.find_tool("buildah") is not None


def version() -> str:
    """ "buildah 1.28.2" ("" when buildah does not answer)."""
    text = process.version_of(["buildah", "--version"], Path("/"))
    parts = text.split()
    return f"buildah {parts[2]}" if len(parts) >= 3 and parts[0] == "buildah" else text


def image_exists(ref: str) -> bool:
    return run("inspect", "--type", "image", "--format", "{{.FromImageID}}", ref, timeout=60).returncode == 0


def inspect_image(ref: str) -> dict[str, Any]:
    """`buildah inspect` of an image; {} when there is no such image."""
    done = run("inspect", "--type", "image", ref, timeout=60)
    if done.returncode != 0:
        return {}
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def container_names() -> set[str]:
    """Names of every working container in this storage."""
    done = run("containers", "--all", "--json", timeout=60)
    if done.returncode != 0:
        return set()
    try:
        rows = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        return set()
    return {str(r.get("containername", "")) for r in rows or [] if isinstance(r, dict)}


def working_name(purpose: str) -> str:
    """A working container's name: WORKING_PREFIX, what it is for, and the pid of this process."""
    return f"{WORKING_PREFIX}{purpose}-{os.getpid()}"


def remove_stale() -> list[str]:
    """Remove working containers left by a process of ours that no longer runs (killed mid-step)."""
    removed = []
    for name in container_names():
        pid = name.rsplit("-", 1)[-1]
        if name.startswith(WORKING_PREFIX) and pid.isdigit() and not Path(f"/proc/{pid}").exists():
            remove_container(name)
            removed.append(name)
    return removed


def remove_container(name: str) -> None:
    run("rm", name, timeout=300)


def remove_image(ref: str) -> None:
    run("rmi", "--force", ref, timeout=300)


def images() -> list[tuple[str, list[str]]]:
    """(full image id, names) of every image in this storage."""
    done = run("images", "--json", "--no-trunc", timeout=60)
    if done.returncode != 0:
        return []
    try:
        rows = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        return []
    return [
        (str(r.get("id", "")).removeprefix("sha256:"), [str(n) for n in r.get("names") or []])
        for r in rows or []
        if isinstance(r, dict)
    ]
