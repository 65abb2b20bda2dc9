"""Where `infra` keeps what it generates for one root on one target (all under .infra/, git-ignored)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployment_infra import terraform as tf
from deployment_infra import ui
from deployment_infra.settings import Settings
from deployment_infra.targets import Target, write_override


@dataclass(frozen=True)
class WorkDir:
    """Generated files for root `name` on `target`: data dir, var file, backend config, plans."""

    base: Path

    @classmethod
    def of(cls, settings: Settings, target: Target, name: str) -> WorkDir:
        return cls(settings.run_dir / target.name / name)

    @property
    def data_dir(self) -> Path:
        return self.base / "tf-data"

    @property
    def var_file(self) -> Path:
        return self.base / "vars.tfvars.json"

    @property
    def backend_file(self) -> Path:
        return self.base / "backend.hcl"

    @property
    def plan_file(self) -> Path:
        return self.base / "plan.tfplan"

    @property
    def plan_json(self) -> Path:
        return self.base / "plan.json"

    @property
    def gate_file(self) -> Path:
        return self.base / "gate.json"

    def write_json(self, path: Path, data: Any) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        tmp.replace(path)


def terraform_for(settings: Settings, target: Target, root: Path, work: WorkDir, what: str) -> tf.Terraform:
    """A Terraform bound to `root`, with the project's CLI config and the target's environment."""
    env = {"TF_CLI_CONFIG_FILE": str(tf.write_cli_config(settings.run_dir)), **target.environ()}
    write_override(target, root)
    return tf.Terraform(root=root, data_dir=work.data_dir, env=env, progress=ui.detail, what=what)


def init_if_changed(runner: tf.Terraform, work: WorkDir, backend_text: str) -> None:
    """Run `terraform init` only when the backend config or the root's lock file changed."""
    lock = runner.root / ".terraform.lock.hcl"
    stamp = hashlib.sha256(backend_text.encode() + (lock.read_bytes() if lock.exists() else b"")).hexdigest()
    stamp_file = work.base / "init.stamp"
    if (
        stamp_file.exists()
        and stamp_file.read_text() == stamp
        and (work.data_dir / "terraform.tfstate").exists()
    ):
        return
    work.base.mkdir(parents=True, exist_ok=True)
    work.backend_file.write_text(backend_text)
    runner.init(work.backend_file)
    # init may have written the lock file: stamp what is there now
    stamp = hashlib.sha256(backend_text.encode() + (lock.read_bytes() if lock.exists() else b"")).hexdigest()
    stamp_file.write_text(stamp)


def hcl_value(value: Any) -> str:
    """A Python value as an HCL literal (for generated backend configs)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{k} = {hcl_value(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    return json.dumps(str(value))


def hcl_assignments(values: dict[str, Any]) -> str:
    return "".join(f"{k} = {hcl_value(v)}\n" for k, v in values.items())
