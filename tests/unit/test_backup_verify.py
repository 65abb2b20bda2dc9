"""compare() and the report: every kind of difference between a source and its restored copy."""

from __future__ import annotations

import datetime

from deployment_infra.commands.ops import metrics_text
from deployment_infra.ops.backup_verify import (
    DatabaseFingerprint,
    Difference,
    TableFingerprint,
    VerificationReport,
    compare,
)

COLUMNS = (("id", "integer", False), ("name", "text", True))
PKEY = (("t_pkey", "PRIMARY KEY (id)"),)
INDEX = (("t_pkey", "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)"),)


def table(**changes: object) -> TableFingerprint:
    base: dict[str, object] = {
        "columns": COLUMNS,
        "constraints": PKEY,
        "indexes": INDEX,
        "rows": 3,
        "checksum": "a" * 32,
    }
    base.update(changes)
    return TableFingerprint(**base)  # type: ignore[arg-type]


def db(**tables: TableFingerprint) -> DatabaseFingerprint:
    return DatabaseFingerprint({f"public.{k}": v for k, v in tables.items()})


def kinds(diffs: list[Difference]) -> list[tuple[str, str]]:
    return [(d.kind, d.table) for d in diffs]


def test_identical_fingerprints_have_no_differences() -> None:
    assert compare(db(t=table(), u=table(rows=0)), db(t=table(), u=table(rows=0))) == []


def test_missing_and_extra_tables() -> None:
    diffs = compare(db(t=table(), u=table()), db(t=table(), v=table()))
    assert kinds(diffs) == [("missing-table", "public.u"), ("extra-table", "public.v")]


def test_column_type_and_nullability_differences() -> None:
    retyped = table(columns=(("id", "bigint", False), ("name", "text", True)))
    not_null = table(columns=(("id", "integer", False), ("name", "text", False)))
    assert kinds(compare(db(t=table()), db(t=retyped))) == [("columns", "public.t")]
    diff = compare(db(t=table()), db(t=not_null))[0]
    assert "name text not null" in diff.detail


def test_constraint_and_index_differences_name_what_is_missing() -> None:
    diffs = compare(db(t=table()), db(t=table(constraints=(), indexes=())))
    assert kinds(diffs) == [("constraints", "public.t"), ("indexes", "public.t")]
    assert "missing t_pkey" in diffs[0].detail


def test_row_count_and_checksum() -> None:
    assert kinds(compare(db(t=table()), db(t=table(rows=2, checksum="b" * 32)))) == [
        ("row-count", "public.t"),
        ("checksum", "public.t"),
    ]
    # same count, different contents: only the checksum tells
    assert kinds(compare(db(t=table()), db(t=table(checksum="c" * 32)))) == [("checksum", "public.t")]


def test_report_passes_iff_no_differences_and_measures_the_recovery_point() -> None:
    now = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)
    report = VerificationReport("m", [], 2.5, now - datetime.timedelta(seconds=300), checked_at=now)
    assert report.passed
    data = report.to_dict()
    assert data["recovery_point_objective_seconds"] == 300.0
    assert data["passed"] is True and data["differences"] == []
    failed = VerificationReport("m", [Difference("checksum", "public.t", "x")], 1.0, None, checked_at=now)
    assert not failed.passed
    assert failed.to_dict()["differences"] == [{"kind": "checksum", "table": "public.t", "detail": "x"}]
    assert failed.to_dict()["recovery_point_objective_seconds"] is None


def test_metrics_keep_the_last_success_when_a_run_fails() -> None:
    now = datetime.datetime.now(datetime.UTC)
    bad = VerificationReport("m", [Difference("restore", "", "boom")], 1.0, now, checked_at=now)
    text = metrics_text("prod", {"rds": bad}, previous_success=1234.0)
    assert 'backup_verification_success{environment="prod"} 0' in text
    assert 'backup_last_success_timestamp_seconds{environment="prod"} 1234' in text
    assert 'backup_restore_duration_seconds{environment="prod",method="rds"} 1' in text
    assert "backup_last_success_timestamp_seconds" not in metrics_text("prod", {"rds": bad}, None)
