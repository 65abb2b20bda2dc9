"""`infra bootstrap`: the state bucket and lock table every environment's backend uses.

Runs the `terraform/bootstrap` root (local state under .infra/<target>/bootstrap/) through the
same plan -> gate -> apply path as environments. Idempotent: a plan without changes applies nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from botocore.exceptions import BotoCoreError, ClientError

from deployment_infra import policy, ui
from deployment_infra.errors import InfraError
from deployment_infra.settings import Settings
from deployment_infra.targets import Target, account_id
from deployment_infra.workdir import WorkDir, hcl_assignments, init_if_changed, terraform_for


@dataclass(frozen=True)
class Backend:
    """Where environments keep their state."""

    bucket: str
    lock_table: str
    region: str
    kms_key_arn: str

    def config_for(self, env_name: str, target: Target) -> dict[str, object]:
        return {
            "bucket": self.bucket,
            "key": f"environments/{env_name}/terraform.tfstate",
            "region": self.region,
            "encrypt": True,
            "kms_key_id": self.kms_key_arn,
            "use_lockfile": True,
            "dynamodb_table": self.lock_table,
            **target.backend_extra(),
        }


@dataclass(frozen=True)
class BootstrapResult:
    backend: Backend
    changed: bool


def names(settings: Settings, account: str) -> tuple[str, str]:
    """State bucket (globally unique: account and region in it) and lock table names."""
    return f"{settings.project}-tfstate-{account}-{settings.default_region}", f"{settings.project}-tf-locks"


def bootstrap(settings: Settings, target: Target) -> BootstrapResult:
    """Create or confirm the state bucket and lock table; apply only when the plan has changes."""
    target.prepare()
    root = settings.terraform_dir / "bootstrap"
    work = WorkDir.of(settings, target, "bootstrap")
    runner = terraform_for(settings, target, root, work, "bootstrap")
    bucket, table = names(settings, account_id(target, settings.default_region))
    work.write_json(
        work.var_file,
        {
            "project": settings.project,
            "region": settings.default_region,
            "state_bucket_name": bucket,
            "lock_table_name": table,
            "tags": settings.shared_tags(),
        },
    )
    init_if_changed(runner, work, hcl_assignments({"path": str(work.base / "terraform.tfstate")}))
    ui.step("bootstrap: planning the state bucket and lock table")
    changed = runner.plan(work.plan_file, work.var_file)
    if changed:
        plan = runner.show_json(work.plan_file)
        violations = policy.check_plan(plan, policy.PolicyContext.from_settings(settings))
        if violations:
            raise InfraError(
                f"bootstrap plan refused by the policy gate: {violations[0].check_id} "
                f"{violations[0].address}: {violations[0].message}"
            )
        ui.step("bootstrap: applying")
        runner.apply(work.plan_file)
    outputs = runner.output_json()
    try:
        backend = Backend(
            bucket=outputs["state_bucket"]["value"],
            lock_table=outputs["lock_table"]["value"],
            region=outputs["region"]["value"],
            kms_key_arn=outputs["kms_key_arn"]["value"],
        )
    except KeyError as exc:
        raise InfraError(f"bootstrap state has no output {exc}: run `infra bootstrap` again") from None
    verdict = "created or updated" if changed else "unchanged"
    ui.ok(f"state bucket {backend.bucket}, lock table {backend.lock_table} ({verdict})")
    work.write_json(work.base / "backend.json", asdict(backend))
    return BootstrapResult(backend, changed)


def known_backend(settings: Settings, target: Target, *, create: bool = True) -> Backend | None:
    """The backend recorded by the last bootstrap, if its bucket still exists; else bootstrap now
    (or None when `create` is false: read-only verbs never create the state bucket).

    Saves a terraform run (~10 s) on every plan, apply and status; `infra up` and `infra
    bootstrap` always re-check the bootstrap root in full.
    """
    record = WorkDir.of(settings, target, "bootstrap").base / "backend.json"
    try:
        backend = Backend(**json.loads(record.read_text()))
        target.client("s3", backend.region).head_bucket(Bucket=backend.bucket)
    except (OSError, ValueError, TypeError, ClientError, BotoCoreError):
        return bootstrap(settings, target).backend if create else None
    return backend
