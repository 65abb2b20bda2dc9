"""Which base image a local build uses: the Dockerfile's pinned official Node image when it is in
local storage or can be pulled, else a local stand-in assembled from this machine's own Node
(stand_in.py), and only when that Node is the very version the Dockerfile pins.

The pin is `ARG NODE_IMAGE=docker.io/library/node:<version>-<debian>[-slim][@sha256:...]` before the
first FROM: the build step overrides it with --build-arg, the GitHub workflow leaves it as is.
"""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from deployment_infra.ci import buildah, process

ARG_NAME = "NODE_IMAGE"
_ARG_LINE = re.compile(rf"^\s*ARG\s+{ARG_NAME}\s*=\s*(?P<value>\S+)\s*$", re.IGNORECASE | re.MULTILINE)
_FROM_LINE = re.compile(r"^\s*FROM\s", re.IGNORECASE | re.MULTILINE)
_OFFICIAL_NODE = re.compile(
    r"^(?:docker\.io/)?(?:library/)?node:(?P<version>\d+\.\d+\.\d+)-(?P<debian>[a-z]+)(?P<slim>-slim)?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
PULL_TIMEOUT = 120.0  # seconds; an unreachable registry fails within a second (DNS), a slow one may not

BaseKind = Literal["official", "stand-in", "none"]


@dataclass(frozen=True)
class NodePin:
    """The official Node image a Dockerfile pins."""

    ref: str  # as written: docker.io/library/node:20.20.2-bookworm-slim
    version: str  # 20.20.2
    debian: str  # bookworm
    slim: bool
    digest: str  # "sha256:..." or "" when pinned by tag only


@dataclass(frozen=True)
class HostNode:
    """The Node of this machine, from which a stand-in would be assembled."""

    path: str  # "" when there is no node on PATH
    version: str  # "20.20.2"
    debian: str  # VERSION_CODENAME of /etc/os-release ("" when not Debian)
    machine: str  # x86_64, aarch64


@dataclass(frozen=True)
class BaseChoice:
    kind: BaseKind
    ref: str  # the image NODE_IMAGE is set to ("" for none)
    reason: str  # one line: why this base


def node_pin(dockerfile: str) -> NodePin | None:
    """The `ARG NODE_IMAGE=` default before the first FROM, if it names the official Node image."""
    first_from = _FROM_LINE.search(dockerfile)
    head = dockerfile[: first_from.start()] if first_from else dockerfile
    arg = _ARG_LINE.search(head)
    if arg is None:
        return None
    ref = arg.group("value").strip("\"'")
    match = _OFFICIAL_NODE.match(ref)
    if match is None:
        return None
    return NodePin(
        ref=ref,
        version=match.group("version"),
        debian=match.group("debian"),
        slim=match.group("slim") is not None,
        digest=match.group("digest") or "",
    )


def host_node() -> HostNode:
    exe = process.find_tool("node")
    version = process.version_of([str(exe), "--version"], Path("/")).lstrip("v") if exe else ""
    return HostNode(
        path=str(exe) if exe else "",
        version=version,
        debian=_os_release().get("VERSION_CODENAME", "") if _os_release().get("ID") == "debian" else "",
        machine=platform.machine(),
    )


def _os_release() -> dict[str, str]:
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8")
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {k.strip(): v.strip().strip('"') for k, v in pairs}


def stand_in_refusal(pin: NodePin | None, host: HostNode, known_npm: frozenset[str]) -> str | None:
    """Why no honest stand-in can be assembled here (None: it can). `known_npm`: the Node versions
    whose bundled npm release is recorded (stand_in.BUNDLED_NPM)."""
    if pin is None:
        return (
            f"the Dockerfile does not pin the official Node image as `ARG {ARG_NAME}=docker.io/library/"
            "node:<version>-<debian>[-slim]`"
        )
    if not host.path or not host.version:
        return "there is no node on this machine's PATH"
    if host.version != pin.version:
        return (
            f"this machine's node is v{host.version}, the Dockerfile pins {pin.version}: "
            "a stand-in would not be the same Node"
        )
    if host.debian != pin.debian:
        found = f"Debian {host.debian}" if host.debian else "not Debian"
        return f"this machine is {found}, the Dockerfile pins a Debian {pin.debian} image"
    if pin.version not in known_npm:
        return (
            f"the npm release that node {pin.version} bundles is not recorded "
            "(deployment_infra.ci.stand_in.BUNDLED_NPM)"
        )
    return None


def decide(
    pin: NodePin | None, official_ready: bool, pull_error: str, refusal: str | None, stand_in_ref: str
) -> BaseChoice:
    """The base to build on: the official image when present or pulled (`pull_error` empty), else the
    stand-in when nothing refuses it, else none (the step fails with the reason)."""
    if pin is None:
        return BaseChoice("official", "", "the Dockerfile's own FROM lines (no pinned Node image)")
    if official_ready:
        return BaseChoice("official", pin.ref, f"{pin.ref} from local storage")
    if not pull_error:
        return BaseChoice("official", pin.ref, f"{pin.ref} pulled from its registry")
    if refusal is not None:
        return BaseChoice("none", "", f"{pin.ref} cannot be pulled ({pull_error}) and no stand-in: {refusal}")
    return BaseChoice(
        "stand-in",
        stand_in_ref,
        f"LOCAL STAND-IN {stand_in_ref} assembled from this machine's node v{pin.version} "
        f"(Debian {pin.debian}), NOT the official {pin.ref}: its registry is unreachable ({pull_error})",
    )


def official_state(pin: NodePin) -> tuple[bool, str]:
    """(in local storage, pull error): the error is "" when the pull succeeded or was not needed."""
    if buildah.image_exists(pin.ref):
        return True, ""
    done = buildah.run("pull", "--quiet", pin.ref, timeout=PULL_TIMEOUT)
    if done.returncode == 0:
        return False, ""
    return False, _pull_error(done.output)


def _pull_error(output: str) -> str:
    """The gist of a failed pull ("lookup registry-1.docker.io ... no such host")."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    last = lines[-1] if lines else "pull failed"
    match = re.search(r"(dial tcp: )?(lookup \S+.*)$", last)
    return (match.group(2) if match else last)[:200]
