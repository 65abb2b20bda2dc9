"""The reference service (examples/service) compiled for a test: its own tsc into a temporary
directory, so the tree's dist/ is left alone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from deployment_infra.ci import node
from tests.conftest import REPO

SERVICE = REPO / "examples" / "service"


def compile_service(out: Path) -> Path:
    """server.js and its modules under `out`, and the package.json telling node they are ES modules."""
    assert shutil.which("node"), "node is not on PATH: Node.js 20 is needed for examples/service"
    failed = node.ensure_installed(SERVICE, "install")
    assert failed is None, f"npm ci in examples/service failed: {failed}"
    done = subprocess.run(
        [str(node.bin_dir(SERVICE) / "tsc"), "-p", "tsconfig.build.json", "--outDir", str(out / "dist")],
        cwd=SERVICE,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.copy2(SERVICE / "package.json", out / "package.json")
    return out / "dist" / "server.js"
