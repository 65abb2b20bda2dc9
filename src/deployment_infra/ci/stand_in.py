"""A local stand-in for the official `node:<version>-<debian>-slim` image, for machines that cannot
reach its registry: assembled from this machine's own Node (same version, same Debian release,
checked by base_image.stand_in_refusal) into an image `FROM scratch`.

It carries what the official image's users rely on, at the official paths: node in /usr/local/bin,
the npm release that Node version bundles (from the npm registry, integrity checked: the host's npm
may have been upgraded since), docker-entrypoint.sh, user `node` (uid/gid 1000, home /home/node),
/bin/sh (dash), bash and the basic tools (coreutils, findutils, grep, sed) with their shared
libraries. It lacks yarn and corepack, and is labelled as a stand-in: the label is inherited by
every image built on it, so such an image never passes for one built on the official base.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from deployment_infra.ci import buildah, process
from deployment_infra.ci.base_image import HostNode, NodePin

REPOSITORY = "localhost/deployment-infra/node-stand-in"
RECIPE = "1"  # bump when the assembly changes: stand-ins of another recipe are rebuilt
LABEL = "io.deployment-infra.stand-in"  # label prefix
# the npm each Node release bundles (the official image's npm), with the registry's integrity
BUNDLED_NPM: dict[str, tuple[str, str]] = {
    "20.20.2": (
        "10.8.2",
        "sha512-x/AIjFIKRllrhcb48dqUNAAZl0ig9+qMuN91RpZo3Cb2+zuibfh+KISl6+kVVyktDz230JKc208UkQwwMqyB+w==",
    ),
}
HOST_PACKAGES = ("dash", "bash", "coreutils", "findutils", "grep", "sed")
_BIN_DIRS = ("/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/")
_LDD_PATH = re.compile(r"(?:=>\s*)?(/\S+)\s+\(0x[0-9a-f]+\)")
# the official image's entry point: a first argument that is not a command runs under node
ENTRYPOINT_SCRIPT = """#!/bin/sh
set -e

if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
"""
USERS = (  # /etc/passwd (the password field "x": no passwords)
    "root:x:0:0:root:/root:/bin/bash\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    "node:x:1000:1000::/home/node:/bin/bash\n"
)
GROUPS = "root:x:0:\nnogroup:x:65534:\nnode:x:1000:\n"
NSSWITCH = "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n"


class StandInError(Exception):
    """The stand-in could not be assembled (the step reports it as failed)."""


@dataclass(frozen=True)
class StandIn:
    ref: str
    image_id: str
    reused: bool
    seconds: float
    npm: str  # npm version it carries


def ref_for(pin: NodePin) -> str:
    return f"{REPOSITORY}:{pin.version}-{pin.debian}{'-slim' if pin.slim else ''}"


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ldd_paths(ldd_output: str) -> set[str]:
    """Absolute paths of the libraries and the dynamic loader in `ldd` output (not the vDSO)."""
    return {m.group(1) for m in _LDD_PATH.finditer(ldd_output)}


def expected_labels(pin: NodePin, host_node_sha256: str) -> dict[str, str]:
    npm = BUNDLED_NPM[pin.version][0]
    return {
        f"{LABEL}": "true",
        f"{LABEL}.for": pin.ref,
        f"{LABEL}.recipe": RECIPE,
        f"{LABEL}.node-sha256": host_node_sha256,
        f"{LABEL}.npm": npm,
        "org.opencontainers.image.description": (
            f"LOCAL STAND-IN for {pin.ref}, assembled from the build machine's node v{pin.version} "
            f"(Debian {pin.debian}) and npm {npm}; not the official image"
        ),
    }


def image_labels(info: dict[str, object]) -> dict[str, str]:
    """Labels of a `buildah inspect` image (Docker or OCI section)."""
    for section in ("Docker", "OCIv1"):
        part = info.get(section)
        config = part.get("config") if isinstance(part, dict) else None
        labels = config.get("Labels") if isinstance(config, dict) else None
        if isinstance(labels, dict) and labels:
            return {str(k): str(v) for k, v in labels.items()}
    return {}


def ensure(pin: NodePin, host: HostNode, cache: Path, ref: str = "") -> StandIn:
    """The stand-in for `pin` (tagged `ref`, by default ref_for(pin)): reused when one of this recipe
    from this very node binary exists."""
    start = time.monotonic()
    ref = ref or ref_for(pin)
    labels = expected_labels(pin, file_sha256(Path(host.path)))
    info = buildah.inspect_image(ref)
    npm = labels[f"{LABEL}.npm"]
    if info and all(image_labels(info).get(k) == v for k, v in labels.items()):
        return StandIn(ref, str(info.get("FromImageID", "")), True, time.monotonic() - start, npm)
    stale_id = str(info.get("FromImageID", "")) if info else ""
    tarball = _npm_tarball(pin.version, cache)
    image_id = _assemble(ref, host, tarball, labels, pin)
    if stale_id and stale_id != image_id:
        buildah.remove_image(stale_id)
    return StandIn(ref, image_id, False, time.monotonic() - start, npm)


def _npm_tarball(node_version: str, cache: Path) -> Path:
    """npm-<v>.tgz from the npm registry (the host's npm fetches it), checked against BUNDLED_NPM."""
    version, integrity = BUNDLED_NPM[node_version]
    cache.mkdir(parents=True, exist_ok=True)
    tarball = cache / f"npm-{version}.tgz"
    if not (tarball.is_file() and sri_sha512(tarball.read_bytes()) == integrity):
        done = process.run(
            ["npm", "pack", f"npm@{version}", "--pack-destination", str(cache), "--silent"],
            cache,
            timeout=300,
        )
        if done.returncode != 0 or not tarball.is_file():
            raise StandInError(
                f"npm pack npm@{version} failed (exit {done.returncode}): {done.output[-300:]}"
            )
        if sri_sha512(tarball.read_bytes()) != integrity:
            tarball.unlink()
            raise StandInError(f"npm-{version}.tgz from the registry does not match its recorded integrity")
    return tarball


def _assemble(ref: str, host: HostNode, npm_tgz: Path, labels: dict[str, str], pin: NodePin) -> str:
    name = buildah.working_name("stand-in")
    done = buildah.run("from", "--name", name, "scratch", timeout=120)
    if done.returncode != 0:
        raise StandInError(f"buildah from scratch failed: {done.output[-300:]}")
    try:
        mounted = buildah.run("mount", name, timeout=120)
        if mounted.returncode != 0:
            raise StandInError(f"buildah mount failed: {mounted.output[-300:]}")
        _populate(Path(mounted.stdout.strip()), host, npm_tgz)
        buildah.run("umount", name, timeout=120)
        config = ["config", "--env", f"NODE_VERSION={pin.version}"]
        config += ["--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        config += ["--entrypoint", '["docker-entrypoint.sh"]', "--cmd", '["node"]']
        for key, value in labels.items():
            config += ["--label", f"{key}={value}"]
        configured = buildah.run(*config, name, timeout=120)
        if configured.returncode != 0:
            raise StandInError(f"buildah config failed: {configured.output[-300:]}")
        committed = buildah.run("commit", "--quiet", "--format", "docker", name, ref, timeout=600)
        if committed.returncode != 0:
            raise StandInError(f"buildah commit failed: {committed.output[-300:]}")
        return committed.stdout.strip().splitlines()[-1]
    finally:
        buildah.remove_container(name)


def _populate(root: Path, host: HostNode, npm_tgz: Path) -> None:
    """The stand-in's file tree under `root` (the mounted scratch container)."""
    for d in ("usr/bin", "usr/sbin", "usr/lib", "usr/lib64", "usr/local/bin", "usr/local/lib/node_modules"):
        (root / d).mkdir(parents=True, exist_ok=True)
    for link in ("bin", "sbin", "lib", "lib64"):  # Debian bookworm's merged /usr
        (root / link).symlink_to(f"usr/{link}")
    for d, mode in (
        ("etc", 0o755),
        ("tmp", 0o1777),
        ("var/tmp", 0o1777),
        ("root", 0o700),
        ("home/node", 0o755),
    ):
        (root / d).mkdir(parents=True, exist_ok=True)
        (root / d).chmod(mode)
    os.chown(root / "home/node", 1000, 1000)

    executables = [*_package_executables(HOST_PACKAGES), "/bin/sh"]
    for exe in executables:
        _copy_path(Path(exe), root)
    node = root / "usr/local/bin/node"
    shutil.copy2(host.path, node)
    libs = ldd_paths(_ldd([host.path, *executables]))
    for lib in sorted(libs):
        _copy_path(Path(lib), root)

    npm_dir = root / "usr/local/lib/node_modules/npm"
    npm_dir.mkdir()
    untar = process.run(
        ["tar", "-xzf", str(npm_tgz), "-C", str(npm_dir), "--strip-components=1", "--no-same-owner"],
        root,
        timeout=300,
    )
    if untar.returncode != 0:
        raise StandInError(f"unpacking {npm_tgz.name} failed: {untar.output[-300:]}")
    for tool in ("npm", "npx"):
        (root / "usr/local/bin" / tool).symlink_to(f"../lib/node_modules/npm/bin/{tool}-cli.js")
    entry = root / "usr/local/bin/docker-entrypoint.sh"
    entry.write_text(ENTRYPOINT_SCRIPT, encoding="utf-8")
    entry.chmod(0o755)

    etc = root / "etc"
    for fname, text in (("passwd", USERS), ("group", GROUPS), ("nsswitch.conf", NSSWITCH)):
        (etc / fname).write_text(text, encoding="utf-8")
    _copy_path(Path("/etc/os-release"), root)


def _package_executables(packages: tuple[str, ...]) -> list[str]:
    done = process.run(["dpkg", "-L", *packages], Path("/"), timeout=60)
    if done.returncode != 0:
        raise StandInError(f"dpkg -L {' '.join(packages)} failed: {done.output[-300:]}")
    found = []
    for line in done.stdout.splitlines():
        p = Path(line)
        if line.startswith(_BIN_DIRS) and p.is_file() and not p.is_symlink():
            found.append(line)
    return sorted(set(found))


def _ldd(files: list[str]) -> str:
    # ldd exits 1 when one file is not dynamic (a script); the others are still listed
    return process.run(["ldd", *files], Path("/"), timeout=120).stdout


def _copy_path(src: Path, root: Path) -> None:
    """Copy `src` into `root` at the same place, keeping symlinks (and copying what they point to)."""
    parent = src.parent.resolve()
    dst = root / parent.relative_to("/") / src.name
    if dst.exists() or dst.is_symlink():
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_symlink():
        target = os.readlink(src)
        dst.symlink_to(target)
        _copy_path(parent / target, root)
    elif src.is_file():
        shutil.copy2(src, dst)
    else:
        raise StandInError(f"{src}: not a file on this machine")
