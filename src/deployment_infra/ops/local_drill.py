"""The local backup drill: both ways a PostgreSQL database comes back, on a scratch cluster.

1. logical: pg_dump -Fc of a seeded database, pg_restore into a new database, compare fingerprints.
2. point-in-time: pg_basebackup, more writes, a target time, more writes, a WAL switch; then the base
   backup is started as a new cluster with restore_command reading the WAL archive and
   recovery_target_time = the target, and must hold exactly the rows written before the target.

Everything lives in one temporary directory, removed at the end whatever happened.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deployment_infra.errors import InfraError
from deployment_infra.ops import postgres_local as pgl
from deployment_infra.ops.backup_verify import (
    VerificationReport,
    compare,
    fingerprint,
    restore_failed,
    verify,
)

Progress = Callable[[str], None]
DATABASE = "app"
LOGICAL = "logical (pg_dump -Fc, pg_restore)"
PITR = "point-in-time (pg_basebackup + archived WAL, recovery_target_time)"

SCHEMA = """
CREATE TABLE customers (
    id integer PRIMARY KEY,
    name text NOT NULL,
    email text UNIQUE,
    country char(2) NOT NULL DEFAULT 'NG',
    created_at timestamptz NOT NULL
);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers (id),
    amount numeric(12, 2) NOT NULL CHECK (amount >= 0),
    note text,
    placed_at timestamptz NOT NULL
);
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE INDEX orders_placed_at_idx ON orders (placed_at);
"""

# deterministic "random" values from md5 of the row number: names with quotes and non-ASCII,
# NULL notes now and then, amounts and times spread out
CUSTOMERS = """
INSERT INTO customers
SELECT i,
       (ARRAY['Adé', 'Chidi', 'Ngozi', 'O''Brien', 'Zoë "Z"'])[1 + i % 5] || ' '
           || substr(md5(i::text), 1, 8),
       CASE WHEN i % 7 = 0 THEN NULL ELSE 'user' || i || '@example.ng' END,
       (ARRAY['NG', 'GH', 'ZA'])[1 + i % 3],
       timestamptz '2024-01-01 00:00:00+00' + (i * interval '37 minutes')
FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS i
"""
ORDERS = """
INSERT INTO orders
SELECT i,
       1 + (('x' || substr(md5(i::text), 1, 7))::bit(28)::int % CAST(:customers AS int)),
       (('x' || substr(md5('a' || i), 1, 6))::bit(24)::int % 100000) / 100.0,
       CASE WHEN i % 4 = 0 THEN NULL ELSE 'note ' || md5(i::text) || E'\\t€' END,
       timestamptz '2024-02-01 00:00:00+00' + (i * interval '11 minutes')
FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS i
"""


@dataclass
class DrillResult:
    logical: VerificationReport
    pitr: VerificationReport
    dump_seconds: float  # baselines for the benchmark: taking each backup
    basebackup_seconds: float

    @property
    def passed(self) -> bool:
        return self.logical.passed and self.pitr.passed


def seed(cluster: pgl.LocalCluster, customers: int, orders: int) -> None:
    con = cluster.connect(DATABASE)
    try:
        con.run(SCHEMA)
        add_rows(con, (1, customers), (1, orders), customers)
    finally:
        con.close()


def add_rows(con: object, customers: tuple[int, int], orders: tuple[int, int], all_customers: int) -> None:
    run = con.run  # type: ignore[attr-defined]
    run(CUSTOMERS, first=customers[0], last=customers[1])
    run(ORDERS, first=orders[0], last=orders[1], customers=all_customers)


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run_drill(
    progress: Progress,
    customers: int = 2_000,
    orders: int = 20_000,
) -> DrillResult:
    """Seed, back up both ways, restore both ways, compare; the scratch clusters are always removed."""
    started = time.monotonic()
    progress("local drill: starting a scratch PostgreSQL cluster with WAL archiving")
    cluster = pgl.init_cluster("infra-backup-drill-")
    archive = cluster.base / "wal-archive"
    archive.mkdir()
    cluster.chown(archive)
    cluster.write_conf(
        [
            "wal_level = replica",
            "archive_mode = on",
            f"archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'",
            "max_wal_senders = 4",
        ]
    )
    clusters = [cluster]
    try:
        cluster.start()
        cluster.create_database(DATABASE)
        seed(cluster, customers, orders)
        progress(f"seeded database {DATABASE!r}: {customers} customers, {orders} orders (FK, indexes)")
        logical, dump_seconds = logical_drill(cluster, progress)
        pitr, base_seconds = pitr_drill(
            cluster, archive, clusters, progress, customers=customers, orders=orders
        )
    finally:
        pgl.destroy(clusters)
    progress(f"local drill finished in {time.monotonic() - started:.1f}s; scratch clusters removed")
    return DrillResult(logical, pitr, dump_seconds, base_seconds)


def logical_drill(cluster: pgl.LocalCluster, progress: Progress) -> tuple[VerificationReport, float]:
    dump = cluster.base / "app.dump"
    con = cluster.connect(DATABASE)
    try:
        source = fingerprint(con)
        [[recovery_point]] = con.run("SELECT clock_timestamp()")
    finally:
        con.close()
    progress("logical backup: pg_dump -Fc")
    begin = time.perf_counter()
    cluster.tool("pg_dump", "-Fc", "-d", DATABASE, "-f", str(dump))
    dump_seconds = time.perf_counter() - begin
    progress(f"logical restore: pg_restore into a new database ({dump.stat().st_size:,} bytes)")
    cluster.create_database("app_restored")
    begin = time.perf_counter()
    try:
        cluster.tool("pg_restore", "--exit-on-error", "-d", "app_restored", str(dump))
    except InfraError as exc:
        return restore_failed(LOGICAL, str(exc), time.perf_counter() - begin), dump_seconds
    restore_seconds = time.perf_counter() - begin
    con = cluster.connect("app_restored")
    try:
        restored = fingerprint(con)
    finally:
        con.close()
    report = verify(
        LOGICAL,
        source,
        restored,
        restore_seconds=restore_seconds,
        recovery_point=recovery_point,
        backup_bytes=dump.stat().st_size,
    )
    report.details["backup_seconds"] = round(dump_seconds, 3)
    return report, dump_seconds


def pitr_drill(
    cluster: pgl.LocalCluster,
    archive: Path,
    clusters: list[pgl.LocalCluster],
    progress: Progress,
    *,
    customers: int,
    orders: int,
) -> tuple[VerificationReport, float]:
    base = cluster.base / "basebackup"
    progress("physical backup: pg_basebackup")
    begin = time.perf_counter()
    cluster.tool("pg_basebackup", "-D", str(base), "-Fp", "-X", "stream", "-c", "fast", "--no-sync")
    base_seconds = time.perf_counter() - begin
    con = cluster.connect(DATABASE)
    try:
        # writes the restore must keep, then the target, then writes it must not replay
        total = customers + 100
        add_rows(con, (customers + 1, total), (orders + 1, orders + 1_000), total)
        at_target = fingerprint(con)
        time.sleep(0.05)
        [[target]] = con.run("SELECT clock_timestamp()")
        time.sleep(0.05)
        add_rows(con, (total + 1, total + 100), (orders + 1_001, orders + 2_000), total + 100)
        con.run("UPDATE customers SET name = name || ' (late)' WHERE id <= 10")
        latest = fingerprint(con)
        [[segment]] = con.run("SELECT pg_walfile_name(pg_switch_wal())")
        pgl.wait_until((archive / segment).exists, 60, f"WAL segment {segment} to be archived")
    finally:
        con.close()
    progress(f"point-in-time restore to {target.isoformat()} from the base backup and the WAL archive")
    restored = cluster.sibling(base)
    clusters.append(restored)
    (base / "recovery.signal").touch()
    restored.chown(base / "recovery.signal")
    restored.write_conf(
        [
            f"port = {restored.port}",
            "archive_mode = off",
            f"restore_command = 'cp {archive}/%f %p'",
            f"recovery_target_time = '{target.isoformat()}'",
            "recovery_target_action = 'promote'",
        ]
    )
    begin = time.perf_counter()
    try:
        restored.start()

        def promoted() -> bool:
            return restored.run("SELECT pg_is_in_recovery()") == [[False]]

        pgl.wait_until(promoted, 120, "the restored cluster to reach the target and promote")
    except InfraError as exc:
        return restore_failed(PITR, str(exc), time.perf_counter() - begin), base_seconds
    restore_seconds = time.perf_counter() - begin
    con = restored.connect(DATABASE)
    try:
        after = fingerprint(con)
    finally:
        con.close()
    size = dir_bytes(base) + dir_bytes(archive)
    report = verify(
        PITR,
        at_target,
        after,
        restore_seconds=restore_seconds,
        recovery_point=_aware(target),
        backup_bytes=size,
    )
    report.details["backup_seconds"] = round(base_seconds, 3)
    report.details["wal_segments_archived"] = len(list(archive.iterdir()))
    # the copy must stop at the target: the writes after it are not there
    report.details["later_writes_excluded"] = bool(compare(latest, after))
    return report, base_seconds


def _aware(value: datetime.datetime) -> datetime.datetime:
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
