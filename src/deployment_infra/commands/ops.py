"""`infra ops verify-backup`: restore a backup, compare it with its source, report (and export metrics).

Exit codes: 0 every restore matched its source, 1 a restore failed or differed, 2 bad input.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

from deployment_infra import settings as settings_mod
from deployment_infra import ui
from deployment_infra.errors import UsageError
from deployment_infra.ops.backup_verify import VerificationReport
from deployment_infra.targets import make_target
from deployment_infra.ui import print_json

# An RDS DB instance identifier: a letter, then letters, digits and single hyphens; 1-63 characters.
_INSTANCE_ID = re.compile(r"[A-Za-z](?:-?[A-Za-z0-9])*")
LOCAL_NOTE = (
    "the emulator has no real database behind RDS: the local target drills a scratch PostgreSQL "
    "seeded by infra (logical dump/restore and point-in-time recovery from archived WAL)"
)


def verify_backup(
    env: str, target: str, as_json: bool, metrics_file: Path | None, instance: str | None = None
) -> int:
    s = settings_mod.load()
    environment = s.environment(env)
    if instance is not None and not (len(instance) <= 63 and _INSTANCE_ID.fullmatch(instance)):
        raise UsageError(f"--instance {instance[:80]!r} is not an RDS DB instance identifier")
    if metrics_file is not None:
        metrics_file = _check_metrics_path(metrics_file)
    if target == "local":
        from deployment_infra.ops.local_drill import run_drill

        ui.warn(LOCAL_NOTE)
        drill = run_drill(ui.step)
        reports = {"logical": drill.logical, "pitr": drill.pitr}
        note: str | None = LOCAL_NOTE
    else:
        from deployment_infra.ops.rds_drill import PostgresProbe, run_rds_drill

        tgt = make_target(target, s)
        tgt.prepare()
        rds = run_rds_drill(
            tgt, environment.region, s.project, env, PostgresProbe(), progress=ui.step, instance_id=instance
        )
        reports, note = {"rds": rds}, None
    passed = all(r.passed for r in reports.values())
    if metrics_file is not None:
        write_metrics(metrics_file, env, reports)
    if as_json:
        print_json(
            {
                "environment": env,
                "target": target,
                "passed": passed,
                "note": note,
                "reports": {name: r.to_dict() for name, r in reports.items()},
            }
        )
    else:
        _show(env, reports)
    if not passed:
        ui.error(f"backup verification of {env} failed: the restored data differs from the source")
        return 1
    return 0


def _show(env: str, reports: dict[str, VerificationReport]) -> None:
    rows = []
    for name, r in reports.items():
        rpo = r.recovery_point_objective_seconds
        rows.append(
            (
                name,
                "pass" if r.passed else "FAIL",
                f"{r.restore_seconds:.2f}s",
                r.recovery_point.isoformat() if r.recovery_point else "-",
                "-" if rpo is None else f"{rpo:.1f}s",
                f"{r.tables} tables, {r.rows:,} rows",
            )
        )
    ui.table(
        f"Backup verification: {env}",
        ["method", "result", "restore", "recovery point", "age of recovery point", "compared"],
        rows,
    )
    for name, r in reports.items():
        for diff in r.differences:
            ui.err.print(f"  {name}: {diff}", markup=False)


def _check_metrics_path(path: Path) -> Path:
    path = path.expanduser().absolute()
    try:
        usable = (
            not path.is_dir()
            and path.parent.is_dir()
            and len(path.name.encode(errors="surrogateescape")) < 240
        )
    except OSError:  # e.g. a name too long for the file system
        usable = False
    if not usable:  # the temporary file written next to it needs a few more characters
        raise UsageError(f"--metrics-file {str(path)[:200]}: not a file in an existing directory")
    return path


def _previous_success(path: Path, env: str) -> float | None:
    """The last success time already in the file, kept when this run fails."""
    if not path.exists():
        return None
    pattern = re.compile(
        rf'^backup_last_success_timestamp_seconds\{{environment="{re.escape(env)}"\}} (\S+)$', re.M
    )
    found = pattern.search(path.read_text(errors="replace"))
    return float(found.group(1)) if found else None


def metrics_text(env: str, reports: dict[str, VerificationReport], previous_success: float | None) -> str:
    """Prometheus text format (node_exporter textfile collector)."""
    passed = all(r.passed for r in reports.values())
    last_success = time.time() if passed else previous_success
    lines: list[str] = []

    def gauge(name: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        lines.extend([f"# HELP {name} {help_text}", f"# TYPE {name} gauge"])
        lines.extend(f"{name}{{{labels}}} {_number(value)}" for labels, value in samples)

    label = f'environment="{env}"'
    if last_success is not None:
        gauge(
            "backup_last_success_timestamp_seconds",
            "Unix time of the last backup verification that passed.",
            [(label, last_success)],
        )
    gauge(
        "backup_verification_success",
        "1 if the last backup verification passed, else 0.",
        [(label, 1.0 if passed else 0.0)],
    )
    gauge(
        "backup_restore_duration_seconds",
        "Seconds the last verification's restore took, by method.",
        [(f'{label},method="{m}"', r.restore_seconds) for m, r in reports.items()],
    )
    gauge(
        "backup_recovery_point_age_seconds",
        "Age of the newest restorable point when it was checked, by method.",
        [
            (f'{label},method="{m}"', r.recovery_point_objective_seconds)
            for m, r in reports.items()
            if r.recovery_point_objective_seconds is not None
        ],
    )
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def write_metrics(path: Path, env: str, reports: dict[str, VerificationReport]) -> None:
    text = metrics_text(env, reports, _previous_success(path, env))
    # atomically: the collector must never read half a file
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    ui.ok(f"metrics written to {path}")
