"""Is a restored database the same as its source? Fingerprints, their comparison, and the report.

A fingerprint holds a database's schema (tables, columns with types and nullability, constraints,
indexes) and, per table, the row count and an order-independent checksum: md5 over every row's
text form, sorted bytewise (COLLATE "C", so two servers with different default collations agree).
Equal fingerprints mean equal contents up to md5 collisions; the comparison lists every difference.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


class Connection(Protocol):
    """What a fingerprint needs from a connection: pg8000.native.Connection's `run`."""

    def run(self, sql: str, **params: Any) -> Any: ...


@dataclass(frozen=True)
class TableFingerprint:
    columns: tuple[tuple[str, str, bool], ...]  # (name, type, nullable) in column order
    constraints: tuple[tuple[str, str], ...]  # (name, definition), sorted
    indexes: tuple[tuple[str, str], ...]  # (name, definition), sorted
    rows: int
    checksum: str


@dataclass(frozen=True)
class DatabaseFingerprint:
    tables: Mapping[str, TableFingerprint]  # "schema.table" -> fingerprint

    def to_dict(self) -> dict[str, Any]:
        return {name: {"rows": t.rows, "checksum": t.checksum} for name, t in sorted(self.tables.items())}

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables.values())


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def fingerprint(con: Connection) -> DatabaseFingerprint:
    """The fingerprint of the database `con` is connected to (user tables in every user schema)."""
    excluded = ", ".join(f"'{s}'" for s in SYSTEM_SCHEMAS)
    tables = con.run(
        "SELECT table_schema, table_name FROM information_schema.tables "  # noqa: S608
        f"WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ({excluded}) "
        "AND table_schema NOT LIKE 'pg_temp%' ORDER BY 1, 2"
    )
    columns: dict[str, list[tuple[str, str, bool]]] = {}
    for schema, table, column, data_type, nullable in con.run(
        "SELECT table_schema, table_name, column_name, "  # noqa: S608
        "format_type(a.atttypid, a.atttypmod), is_nullable = 'YES' "
        "FROM information_schema.columns c JOIN pg_attribute a "
        "ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass "
        "AND a.attname = c.column_name "
        f"WHERE table_schema NOT IN ({excluded}) ORDER BY table_schema, table_name, ordinal_position"
    ):
        columns.setdefault(f"{schema}.{table}", []).append((column, data_type, bool(nullable)))
    constraints: dict[str, list[tuple[str, str]]] = {}
    for schema, table, name, definition in con.run(
        "SELECT n.nspname, r.relname, c.conname, pg_get_constraintdef(c.oid) "  # noqa: S608
        "FROM pg_constraint c "
        "JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace "
        f"WHERE n.nspname NOT IN ({excluded})"
    ):
        constraints.setdefault(f"{schema}.{table}", []).append((name, definition))
    indexes: dict[str, list[tuple[str, str]]] = {}
    for schema, table, name, definition in con.run(
        "SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes "  # noqa: S608
        f"WHERE schemaname NOT IN ({excluded})"
    ):
        indexes.setdefault(f"{schema}.{table}", []).append((name, definition))
    result: dict[str, TableFingerprint] = {}
    for schema, table in tables:
        key = f"{schema}.{table}"
        qualified = f"{quote_ident(schema)}.{quote_ident(table)}"
        # chr(10) between rows: a row's text form quotes any newline inside a value
        [[rows, checksum]] = con.run(
            "SELECT count(*), "  # noqa: S608 (identifiers quoted by quote_ident)
            "md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text COLLATE \"C\"), '')) "
            f"FROM {qualified} AS t"
        )
        result[key] = TableFingerprint(
            columns=tuple(columns.get(key, [])),
            constraints=tuple(sorted(constraints.get(key, []))),
            indexes=tuple(sorted(indexes.get(key, []))),
            rows=int(rows),
            checksum=str(checksum),
        )
    return DatabaseFingerprint(result)


@dataclass(frozen=True)
class Difference:
    kind: str  # missing-table, extra-table, columns, constraints, indexes, row-count, checksum, restore
    table: str
    detail: str

    def __str__(self) -> str:
        return f"{self.table}: {self.kind}: {self.detail}" if self.table else f"{self.kind}: {self.detail}"


def _named_diff(source: tuple[tuple[str, str], ...], restored: tuple[tuple[str, str], ...]) -> str:
    missing = sorted(set(source) - set(restored))
    extra = sorted(set(restored) - set(source))
    parts = [f"missing {n} ({d})" for n, d in missing] + [f"unexpected {n} ({d})" for n, d in extra]
    return "; ".join(parts)


def compare(source: DatabaseFingerprint, restored: DatabaseFingerprint) -> list[Difference]:
    """Every way `restored` differs from `source`; empty when the restore is faithful."""
    diffs: list[Difference] = []
    for name in sorted(set(source.tables) - set(restored.tables)):
        diffs.append(Difference("missing-table", name, f"{source.tables[name].rows} rows not restored"))
    for name in sorted(set(restored.tables) - set(source.tables)):
        diffs.append(Difference("extra-table", name, "not in the source"))
    for name in sorted(set(source.tables) & set(restored.tables)):
        src, dst = source.tables[name], restored.tables[name]
        if src.columns != dst.columns:
            want = ", ".join(f"{c} {t}{'' if n else ' not null'}" for c, t, n in src.columns)
            got = ", ".join(f"{c} {t}{'' if n else ' not null'}" for c, t, n in dst.columns)
            diffs.append(Difference("columns", name, f"source ({want}), restored ({got})"))
        if src.constraints != dst.constraints:
            diffs.append(Difference("constraints", name, _named_diff(src.constraints, dst.constraints)))
        if src.indexes != dst.indexes:
            diffs.append(Difference("indexes", name, _named_diff(src.indexes, dst.indexes)))
        if src.rows != dst.rows:
            diffs.append(Difference("row-count", name, f"source {src.rows}, restored {dst.rows}"))
        if src.checksum != dst.checksum:
            diffs.append(Difference("checksum", name, f"source {src.checksum}, restored {dst.checksum}"))
    return diffs


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass
class VerificationReport:
    """The outcome of one restore-and-compare: what `infra ops verify-backup --json` prints."""

    method: str  # e.g. "logical (pg_dump -Fc / pg_restore)", "pitr (base backup + WAL)", "rds-pitr"
    differences: list[Difference]
    restore_seconds: float
    recovery_point: datetime.datetime | None
    checked_at: datetime.datetime = field(default_factory=utcnow)
    backup_bytes: int | None = None
    tables: int = 0
    rows: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.differences

    @property
    def recovery_point_objective_seconds(self) -> float | None:
        """How much data a restore would lose right now: the age of the newest restorable point."""
        if self.recovery_point is None:
            return None
        return max(0.0, (self.checked_at - self.recovery_point).total_seconds())

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "passed": self.passed,
            "differences": [asdict(d) for d in self.differences],
            "restore_seconds": round(self.restore_seconds, 3),
            "recovery_point": self.recovery_point.isoformat() if self.recovery_point else None,
            "recovery_point_objective_seconds": (
                None
                if self.recovery_point_objective_seconds is None
                else round(self.recovery_point_objective_seconds, 3)
            ),
            "checked_at": self.checked_at.isoformat(),
            "backup_bytes": self.backup_bytes,
            "tables": self.tables,
            "rows": self.rows,
            **({"details": self.details} if self.details else {}),
        }


def verify(
    method: str,
    source: DatabaseFingerprint,
    restored: DatabaseFingerprint,
    *,
    restore_seconds: float,
    recovery_point: datetime.datetime | None,
    backup_bytes: int | None = None,
) -> VerificationReport:
    return VerificationReport(
        method=method,
        differences=compare(source, restored),
        restore_seconds=restore_seconds,
        recovery_point=recovery_point,
        backup_bytes=backup_bytes,
        tables=len(source.tables),
        rows=source.total_rows,
    )


def restore_failed(method: str, error: str, restore_seconds: float) -> VerificationReport:
    """A restore that errored: verification failed, with the error as the difference."""
    return VerificationReport(method, [Difference("restore", "", error)], restore_seconds, None)
