"""One environment's root on one target: init, plan + gate, apply of a passed plan, destroy, status."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

from deployment_infra import lock_holders, policy, state_lock, ui
from deployment_infra import terraform as tf
from deployment_infra.bootstrap import Backend, known_backend
from deployment_infra.errors import InfraError
from deployment_infra.settings import EnvironmentSettings, Settings
from deployment_infra.targets import Target
from deployment_infra.workdir import WorkDir, hcl_assignments, init_if_changed, terraform_for

# Environment roots that deploy the rotation Lambda declare this variable; `infra` fills it.
LAMBDA_ZIP_VARIABLE = "rotation_lambda_zip"


class NotDeployedError(InfraError):
    """The environment was never brought up on this target (no state bucket)."""


@dataclass
class PlanOutcome:
    """A saved plan and what the gate said of it."""

    plan_file: Path
    changes: dict[str, int]
    violations: list[policy.Violation] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.violations

    @property
    def has_changes(self) -> bool:
        return any(n for action, n in self.changes.items() if action != "no-op")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def count_actions(plan: dict[str, Any]) -> dict[str, int]:
    """How many resources each action touches: create, update, delete, replace, no-op."""
    counts: Counter[str] = Counter()
    for rc in plan.get("resource_changes", []):
        if rc.get("mode") != "managed":
            continue
        actions = rc.get("change", {}).get("actions", [])
        key = "replace" if len(actions) == 2 else (actions[0] if actions else "no-op")
        counts[key] += 1
    return dict(counts)


class Stack:
    """Operations on environment `env` through `target`."""

    def __init__(
        self,
        settings: Settings,
        target: Target,
        env: EnvironmentSettings,
        *,
        state_key: str | None = None,
        work_name: str | None = None,
    ) -> None:
        """`state_key` and `work_name` override the environment's defaults (state key
        environments/<name>/terraform.tfstate, work dir .infra/<target>/<name>): previews use them."""
        self.settings = settings
        self.target = target
        self.env = env
        self.state_key = state_key
        self.work = WorkDir.of(settings, target, work_name or env.name)
        self._runner: tf.Terraform | None = None
        self._backend_config: dict[str, object] | None = None

    # -- setup ---------------------------------------------------------------------------
    def runner(self, backend: Backend | None = None, *, bootstrap_missing: bool = True) -> tf.Terraform:
        """terraform for this root, initialised against the state backend (bootstrapping it if needed).

        With `bootstrap_missing` false, a missing state backend is NotDeployedError instead.
        """
        if self._runner is not None:
            return self._runner
        config = self.backend_config(backend, bootstrap_missing=bootstrap_missing)
        runner = terraform_for(
            self.settings, self.target, self.env.path, self.work, f"environment {self.env.name}"
        )
        runner.holder = lock_holders.HolderRecorder(
            self.work.base / lock_holders.HOLDER_FILE, self.lock_ref().path, self.lock_ref().endpoint
        )
        init_if_changed(runner, self.work, hcl_assignments(config))
        self.work.write_json(self.work.var_file, self.variables())
        self._runner = runner
        return runner

    def backend_config(
        self, backend: Backend | None = None, *, bootstrap_missing: bool = True
    ) -> dict[str, object]:
        """The S3 backend settings of this root (bucket, key, lock table, endpoints)."""
        if self._backend_config is not None:
            return self._backend_config
        self.target.prepare()
        if backend is None:
            backend = known_backend(self.settings, self.target, create=bootstrap_missing)
        if backend is None:
            name, where = self.env.name, self.target.name
            raise NotDeployedError(f"{name} has no state backend on {where} yet: run `infra up --env {name}`")
        config = backend.config_for(self.env.name, self.target)
        if self.state_key is not None:
            config["key"] = self.state_key
        self._backend_config = config
        return config

    def lock_ref(self) -> state_lock.LockRef:
        """Where this root's state lock lives (needs the backend: bootstraps nothing)."""
        config = self.backend_config(bootstrap_missing=False)
        endpoints = config.get("endpoints")
        return state_lock.LockRef(
            environment=self.env.name,
            target=self.target.name,
            client=self.target.client,
            bucket=str(config["bucket"]),
            key=str(config["key"]),
            region=str(config["region"]),
            table=str(config["dynamodb_table"]) if config.get("dynamodb_table") else None,
            endpoint=str(endpoints.get("s3", "")) if isinstance(endpoints, dict) else "",
            work=self.work.base,
        )

    def variables(self) -> dict[str, Any]:
        """Terraform variables from settings: identity, region, default tags, then overrides."""
        values: dict[str, Any] = {
            "project": self.settings.project,
            "environment": self.env.name,
            "region": self.env.region,
            "domain_name": self.settings.domain,
            "default_tags": self.settings.default_tags(self.env),
        }
        if self.root_declares(LAMBDA_ZIP_VARIABLE):
            # Built here, reproducibly: an unchanged source gives the same bytes, hence no diff.
            from deployment_infra.lambdas import package

            values[LAMBDA_ZIP_VARIABLE] = str(package.build(self.settings.run_dir / "lambdas"))
        return {**values, **self.env.variables}

    def root_declares(self, name: str) -> bool:
        """Does the environment's root module declare variable `name`?"""
        pattern = re.compile(rf'^variable\s+"{re.escape(name)}"', re.MULTILINE)
        return any(pattern.search(tf.read_text()) for tf in sorted(self.env.path.glob("*.tf")))

    # -- verbs ---------------------------------------------------------------------------
    def plan(
        self,
        *,
        destroy: bool = False,
        backend: Backend | None = None,
        overrides: dict[str, Any] | None = None,
        lifting_protection: bool = False,
    ) -> PlanOutcome:
        """Save a plan, show it as JSON, run the gate; record the verdict beside the plan.

        `lifting_protection`: the confirmed first step of `down`, which turns deletion protection
        off; the protected-environment rules (DB-004) then do not apply, every other rule does.
        """
        runner = self.runner(backend)
        self.work.gate_file.unlink(missing_ok=True)  # an old verdict never covers a new plan
        ui.step(f"{self.env.name}: planning{' destruction' if destroy else ''} ({self.target.name})")
        self.work.write_json(self.work.var_file, {**self.variables(), **(overrides or {})})
        try:
            runner.plan(self.work.plan_file, self.work.var_file, destroy=destroy)
        except tf.StateLockedError as exc:
            raise state_lock.explain(self.lock_ref(), exc) from None
        plan = runner.show_json(self.work.plan_file)
        self.work.write_json(self.work.plan_json, plan)
        ctx = policy.PolicyContext.from_settings(self.settings, self.env.name)
        if lifting_protection:
            ctx = dataclasses.replace(ctx, protected=False)
        # destroying removes data; residency and tagging rules govern what will exist
        violations = [] if destroy else policy.check_plan(plan, ctx)
        outcome = PlanOutcome(self.work.plan_file, count_actions(plan), violations)
        self.work.write_json(
            self.work.gate_file,
            {
                "plan_sha256": _sha256(self.work.plan_file),
                "passed": outcome.passed,
                "destroy": destroy,
                "environment": self.env.name,
                "target": self.target.name,
                "violations": [v.to_dict() for v in violations],
                "changes": outcome.changes,
                "created": time.time(),
            },
        )
        return outcome

    def saved_plan(self) -> dict[str, Any]:
        """The gate's record of the saved plan, if it passed and still matches the plan file."""
        name = self.env.name
        if not self.work.plan_file.exists() or not self.work.gate_file.exists():
            raise InfraError(
                f"no saved plan for {name} on {self.target.name}: run `infra plan --env {name}` first"
            )
        record: dict[str, Any] = json.loads(self.work.gate_file.read_text())
        if record.get("plan_sha256") != _sha256(self.work.plan_file):
            raise InfraError(
                f"the saved plan for {name} changed after the gate checked it: run `infra plan` again"
            )
        if not record.get("passed"):
            raise InfraError(
                f"the saved plan for {name} failed the policy gate ({len(record.get('violations', []))} "
                "violations): fix them and run `infra plan` again"
            )
        return record

    def apply(self) -> None:
        """Apply the saved plan that passed the gate, and only that. The plan is spent afterwards."""
        self.saved_plan()
        runner = self.runner()
        ui.step(f"{self.env.name}: applying the saved plan ({self.target.name})")
        try:
            runner.apply(self.work.plan_file)
        except tf.StateLockedError as exc:
            raise state_lock.explain(self.lock_ref(), exc) from None
        finally:
            # a saved plan can be applied once; drop it and its verdict either way
            self.work.plan_file.unlink(missing_ok=True)
            self.work.gate_file.unlink(missing_ok=True)

    def declared_variable(self, name: str) -> Any:
        """The value `name` gets from terraform.tfvars and infra.toml (None when unset there)."""
        value: Any = None
        tfvars = self.env.path / "terraform.tfvars"
        if tfvars.exists():
            value = hcl2.loads(tfvars.read_text()).get(name)
        return self.env.variables.get(name, value)

    def state(self) -> dict[str, Any]:
        return self.runner(bootstrap_missing=False).show_json()

    def outputs(self) -> dict[str, Any]:
        return {k: v.get("value") for k, v in self.runner(bootstrap_missing=False).output_json().items()}

    def force_unlock(self, lock_id: str) -> None:
        self.runner().force_unlock(lock_id)


def resources_of(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Managed resources in a `terraform show -json` state: address, type, id."""
    found: list[dict[str, Any]] = []

    def walk(module: dict[str, Any]) -> None:
        for res in module.get("resources", []):
            if res.get("mode") == "managed":
                values = res.get("values") or {}
                found.append({"address": res["address"], "type": res["type"], "id": values.get("id", "")})
        for child in module.get("child_modules", []):
            walk(child)

    walk(state.get("values", {}).get("root_module", {}))
    return found
