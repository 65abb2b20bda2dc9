"""Build the project's Lambda zip from what is installed here: no network, same bytes for the same
input.

One zip serves every function: the secret rotations (terraform/modules/secrets points each at its
own handler, deployment_infra.lambdas.rotate_<kind>.handler) and the alarm forwarder
(terraform/modules/monitoring: deployment_infra.lambdas.notify_alarm.handler). It keeps its first
name, rotate_postgres.zip. It holds the modules the handlers need (deployment_infra/__init__.py,
deployment_infra/lambdas/__init__.py and common.py, rotate_postgres.py, rotate_redis_auth.py,
notify_alarm.py) and pg8000 with its runtime dependencies (the Redis rotation and the forwarder need
only the standard library), copied from their installed distributions (importlib.metadata): the
package files, METADATA (scramp reads its own version from it), WHEEL, top_level.txt and license
files; never *.pyc, __pycache__ or what changes per install (RECORD, INSTALLER, direct_url.json).
boto3 is not packed: the Lambda runtime has it. Compiled extensions are refused (they were built for
this machine, not Lambda); pg8000's dependencies are pure Python.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath

import deployment_infra
from deployment_infra.errors import InfraError

NAME = "rotate_postgres"
ZIP_NAME = f"{NAME}.zip"
# the aws_lambda_function handlers (terraform/modules/secrets): resolve inside the zip's layout
HANDLER = "deployment_infra.lambdas.rotate_postgres.handler"
REDIS_AUTH_HANDLER = "deployment_infra.lambdas.rotate_redis_auth.handler"
NOTIFY_ALARM_HANDLER = "deployment_infra.lambdas.notify_alarm.handler"  # terraform/modules/monitoring
HANDLERS = (HANDLER, REDIS_AUTH_HANDLER, NOTIFY_ALARM_HANDLER)
DISTRIBUTIONS = ("pg8000",)  # and, recursively, what they require
SOURCES = (
    "__init__.py",
    "lambdas/__init__.py",
    "lambdas/common.py",
    "lambdas/rotate_postgres.py",
    "lambdas/rotate_redis_auth.py",
    "lambdas/notify_alarm.py",
)

ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: no build time in the bytes
ZIP_MODE = 0o644 << 16  # -rw-r--r--: Lambda reads the files as another user
COMPRESS_LEVEL = 9

_DIST_INFO_KEPT = {"METADATA", "WHEEL", "top_level.txt"}
_LICENSE = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|AUTHORS)", re.IGNORECASE)
_COMPILED = (".so", ".pyd", ".dylib", ".dll")
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class PackageError(InfraError):
    """The zip cannot be built from what is installed."""


@dataclass(frozen=True)
class Artifact:
    name: str
    path: Path
    sha256: str
    size: int

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "path": str(self.path), "sha256": self.sha256, "bytes": self.size}


def build(out_dir: Path) -> Path:
    """Write out_dir/rotate_postgres.zip (atomically, and only when its bytes change); return its path."""
    data = zip_bytes(collect())
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / ZIP_NAME
    try:
        if path.read_bytes() == data:
            return path  # unchanged: keep the file, its mtime and anything watching it
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{ZIP_NAME}.", dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def artifact(path: Path) -> Artifact:
    data = path.read_bytes()
    return Artifact(NAME, path, hashlib.sha256(data).hexdigest(), len(data))


def collect() -> dict[str, bytes]:
    """Every file of the zip: archive name -> bytes."""
    files: dict[str, bytes] = {}
    package_dir = Path(deployment_infra.__file__).parent
    for rel in SOURCES:
        files[f"deployment_infra/{rel}"] = (package_dir / rel).read_bytes()
    for dist in _closure(DISTRIBUTIONS):
        for arcname, data in _distribution_files(dist).items():
            if arcname in files and files[arcname] != data:
                raise PackageError(f"{arcname} comes from two distributions with different contents")
            files[arcname] = data
    return files


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A zip whose bytes depend only on the files: sorted names, fixed dates, modes and compression."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as zf:
        for arcname in sorted(files):
            info = zipfile.ZipInfo(arcname, date_time=ZIP_DATE)
            info.external_attr = ZIP_MODE
            info.create_system = 3  # unix, wherever it is built
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[arcname], compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()


def _closure(roots: tuple[str, ...]) -> list[metadata.Distribution]:
    """The distributions `roots` need at run time, each once, in name order."""
    found: dict[str, metadata.Distribution] = {}
    todo = [(name, True) for name in roots]
    while todo:
        name, required = todo.pop()
        key = _normalize(name)
        if key in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            if not required:
                continue  # a requirement with an environment marker that did not hold here
            raise PackageError(
                f"{name} is not installed: run `pip install -e .` (the zip is built from installed packages)"
            ) from None
        found[key] = dist
        for requirement in dist.requires or []:
            spec, _, marker = requirement.partition(";")
            if "extra" in marker:
                continue  # an optional feature, not a runtime dependency
            match = _REQUIREMENT_NAME.match(spec)
            if match:
                todo.append((match.group(1), not marker.strip()))
    return [found[k] for k in sorted(found)]


def _distribution_files(dist: metadata.Distribution) -> dict[str, bytes]:
    name = dist.metadata["Name"]
    if dist.files is None:
        raise PackageError(f"{name}: the installed distribution lists no files (no RECORD)")
    files: dict[str, bytes] = {}
    for entry in dist.files:
        parts = PurePosixPath(str(entry)).parts
        if not parts or ".." in parts or "__pycache__" in parts or entry.name.endswith(".pyc"):
            continue  # scripts outside site-packages, and bytecode that differs per machine
        kept_metadata = entry.name in _DIST_INFO_KEPT or _LICENSE.match(entry.name) or "licenses" in parts
        if parts[0].endswith(".dist-info") and not kept_metadata:
            continue  # RECORD, INSTALLER, direct_url.json...: they differ per install
        if entry.name.endswith(_COMPILED):
            raise PackageError(f"{name} has a compiled extension ({entry}): it would not run on Lambda")
        path = Path(str(dist.locate_file(entry)))
        try:
            files[PurePosixPath(*parts).as_posix()] = path.read_bytes()
        except FileNotFoundError:
            raise PackageError(f"{name}: {entry} is listed but missing: reinstall it") from None
    return files


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
