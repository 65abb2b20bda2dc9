"""Property 8: backup verification passes iff the backup is intact.

Random data sets (tables of ints and nullable text, unicode, quotes, backslashes, tabs, newlines)
are dumped with pg_dump's plain format; the dump file, the backup artifact, then suffers random
damage (a COPY row removed, a value altered, the file truncated, a table's entries removed) or none,
is restored with psql into a fresh database, and verified by fingerprint comparison. The oracle is
independent of the fingerprints: every row of every table read back into Python, plus the catalog's
tables, columns, constraints and indexes. Damage that is real by construction must fail; no damage
must pass; truncation (which can cut only trailing comments) is judged by the oracle alone.
"""

from __future__ import annotations

import itertools
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deployment_infra.ops import postgres_local as pgl
from deployment_infra.ops.backup_verify import fingerprint, verify

_names = itertools.count(1)
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
COLUMN_TYPES = st.lists(st.sampled_from(["int", "text"]), min_size=1, max_size=3)


@dataclass
class Table:
    name: str
    types: list[str]
    rows: list[list[Any]]


@st.composite
def datasets(draw: st.DrawFn) -> list[Table]:
    tables = []
    for i in range(draw(st.integers(1, 3))):
        types = draw(COLUMN_TYPES)
        value = {"int": st.none() | st.integers(-(2**31), 2**31 - 1), "text": st.none() | TEXT}
        rows = draw(st.lists(st.tuples(*(value[t] for t in types)).map(list), max_size=6))
        tables.append(Table(f"t{i}", types, rows))
    return tables


@dataclass
class Damage:
    kind: str  # none, drop-row, alter-value, truncate, drop-table
    real: bool | None  # True: changes the data by construction; None: only the oracle can tell


@pytest.fixture(scope="module")
def cluster() -> Iterator[pgl.LocalCluster]:
    server = pgl.init_cluster("backup-property-")
    try:
        server.start()
        yield server
    finally:
        pgl.destroy([server])


def create(cluster: pgl.LocalCluster, tables: list[Table]) -> tuple[str, Any]:
    """A source database holding `tables`, and a connection to it (logins are slow: reuse it)."""
    name = f"src{next(_names)}"
    cluster.create_database(name)
    con = cluster.connect(name)
    for t in tables:
        cols = ", ".join(f"c{j} {typ}" for j, typ in enumerate(t.types))
        con.run(f"CREATE TABLE {t.name} (id int PRIMARY KEY, {cols})")
        con.run(f"CREATE INDEX {t.name}_c0_idx ON {t.name} (c0)")
        for n, row in enumerate(t.rows):
            params = {f"v{j}": v for j, v in enumerate(row)}
            casts = ", ".join(f"CAST(:v{j} AS {typ})" for j, typ in enumerate(t.types))
            con.run(f"INSERT INTO {t.name} VALUES ({n}, {casts})", **params)  # noqa: S608 (generated names)
    return name, con


def copy_blocks(lines: list[str]) -> dict[str, tuple[int, int]]:
    """table -> (first data line, line of the terminating backslash-dot) of its COPY block."""
    blocks, start, table = {}, None, ""
    for i, line in enumerate(lines):
        if m := re.match(r"COPY public\.(\w+) ", line):
            start, table = i + 1, m.group(1)
        elif line == "\\." and start is not None:
            blocks[table] = (start, i)
            start = None
    return blocks


def altered(field: str, typ: str) -> str:
    if typ == "int":
        return "0" if field in ("\\N", "1") else "1"
    return "x" if field == "\\N" else field + "x"


def damage(dump: str, tables: list[Table], data: st.DataObject) -> tuple[str, Damage]:
    lines = dump.split("\n")
    blocks = copy_blocks(lines)
    with_rows = [t for t in tables if t.rows]
    kinds = ["none", "truncate", "drop-table"] + (["drop-row", "alter-value"] if with_rows else [])
    kind = data.draw(st.sampled_from(kinds), label="damage")
    if kind == "none":
        return dump, Damage(kind, False)
    if kind == "truncate":
        # cut before the end of the last statement: a cut in the final comments would be no damage
        last = max(i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("--"))
        end = len("\n".join(lines[: last + 1]))
        return dump[: data.draw(st.integers(0, end - 1), label="offset")], Damage(kind, None)
    if kind == "drop-table":
        table = data.draw(st.sampled_from([t.name for t in tables]), label="table")
        return drop_table(dump, table), Damage(kind, True)
    table = data.draw(st.sampled_from(with_rows), label="table")
    first, end = blocks[table.name]
    row = data.draw(st.integers(first, end - 1), label="row")
    if kind == "drop-row":
        return "\n".join(lines[:row] + lines[row + 1 :]), Damage(kind, True)
    fields = lines[row].split("\t")
    column = data.draw(st.integers(1, len(fields) - 1), label="column")  # field 0 is the id
    fields[column] = altered(fields[column], table.types[column - 1])
    lines[row] = "\t".join(fields)
    return "\n".join(lines), Damage(kind, True)


def drop_table(dump: str, table: str) -> str:
    """The dump without the entries (table, data, constraints, indexes) of `table`."""
    entries = re.split(r"(?=^--\n-- (?:Data for )?Name: )", dump, flags=re.M)
    keep = []
    for entry in entries:
        m = re.match(r"--\n-- (?:Data for )?Name: ([^;]+);", entry)
        name = m.group(1) if m else ""
        if name.split(" ")[0] == table or name.startswith(f"{table}_"):
            continue
        keep.append(entry)
    return "".join(keep)


def restore(cluster: pgl.LocalCluster, dump: str) -> tuple[str, bool]:
    name = f"dst{next(_names)}"
    cluster.create_database(name)
    done = subprocess.run(
        [
            str(cluster.bindir / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "--single-transaction",
            "-d",
            name,
        ],
        input=dump,
        env=cluster.env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return name, done.returncode == 0


def contents(con: Any) -> dict[str, Any]:
    """The oracle's view: catalog entries and every row, straight from the database."""
    tables = [r[0] for r in con.run("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    return {
        "columns": sorted(
            map(
                tuple,
                con.run(
                    "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
                    "WHERE table_schema = 'public'"
                ),
            )
        ),
        "indexes": sorted(
            map(tuple, con.run("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"))
        ),
        "constraints": sorted(
            map(
                tuple,
                con.run(
                    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE connamespace = 'public'::regnamespace"
                ),
            )
        ),
        "rows": {t: sorted(map(repr, con.run(f"SELECT * FROM {t}"))) for t in sorted(tables)},  # noqa: S608
    }


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables=datasets(), data=st.data())
def test_verification_passes_iff_the_backup_is_intact(
    cluster: pgl.LocalCluster, tables: list[Table], data: st.DataObject
) -> None:
    source, con_s = create(cluster, tables)
    restored, con_r = None, None
    try:
        dump = cluster.tool("pg_dump", "-Fp", "--no-owner", "-d", source)
        damaged, what = damage(dump, tables, data)
        restored, restored_ok = restore(cluster, damaged)
        con_r = cluster.connect(restored)
        report = verify(
            "plain dump", fingerprint(con_s), fingerprint(con_r), restore_seconds=0.0, recovery_point=None
        )
        passed = report.passed and restored_ok  # a restore that errors fails verification
        intact = restored_ok and contents(con_s) == contents(con_r)
        assert passed == intact, (what, report.differences)
        if what.real is not None:
            assert passed == (not what.real), (what, report.differences)
    finally:
        for con in (con_s, con_r):
            if con is not None:
                con.close()
        cluster.drop_database(source)
        if restored:
            cluster.drop_database(restored)
