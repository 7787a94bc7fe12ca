"""Migrations on fresh, empty databases: apply, re-apply, race, tamper, misname, fail halfway.

`heima migrate` must be safe to run twice and from two processes at once (docs/api.md, "Command line").
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from backend.migrate import MigrationError, apply_migrations, discover, migrations_dir

HEIMA = Path(sys.executable).with_name("heima")  # the console script installed in the venv


async def snapshot(conn: asyncpg.Connection) -> dict[str, list[tuple]]:
    """Everything a migration run could change: tables, columns, indexes, constraints, the ledger
    and the seeded catalogue."""
    queries = {
        "columns": """select table_name, column_name, data_type, is_nullable, column_default
                      from information_schema.columns where table_schema = 'public'
                      order by table_name, column_name""",
        "indexes": "select indexname, indexdef from pg_indexes where schemaname = 'public' order by indexname",
        "constraints": """select conrelid::regclass::text, conname, pg_get_constraintdef(oid)
                          from pg_constraint where connamespace = 'public'::regnamespace
                          order by 1, 2""",
        "ledger": "select version, name, checksum, applied_at from schema_migrations order by version",
        "programmes": "select code, version, parameters::text from programmes order by code",
    }
    return {name: [tuple(row) for row in await conn.fetch(sql)] for name, sql in queries.items()}


@pytest.fixture
async def empty_db(new_database):
    dsn = await new_database(migrate=False)
    conn = await asyncpg.connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
def migration_copy(tmp_path: Path) -> Path:
    """A private copy of the repository's migrations that a test may change."""
    directory = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), directory)
    return directory


async def ledger(conn: asyncpg.Connection) -> list[int]:
    return [row["version"] for row in await conn.fetch("select version from schema_migrations order by version")]


async def test_migrations_apply_to_an_empty_database(empty_db):
    expected = discover()
    assert [m.version for m in expected] == list(range(1, len(expected) + 1))
    public_tables = "select count(*) from information_schema.tables where table_schema = 'public'"
    assert await empty_db.fetchval(public_tables) == 0

    applied = await apply_migrations(empty_db)

    assert [(m.version, m.checksum) for m in applied] == [(m.version, m.checksum) for m in expected]
    rows = await empty_db.fetch("select version, name, checksum from schema_migrations order by version")
    assert [tuple(r) for r in rows] == [(m.version, m.name, m.checksum) for m in expected]
    for table in ("organisations", "units", "users", "patients", "enrolments", "activation_codes", "access_log"):
        assert await empty_db.fetchval("select to_regclass($1) is not null", table), table
    codes = {row["code"] for row in await empty_db.fetch("select code from programmes")}
    assert {"premature-home", "copd", "home-dialysis"} <= codes


async def test_second_run_applies_nothing_and_changes_nothing(empty_db):
    await apply_migrations(empty_db)
    before = await snapshot(empty_db)

    assert await apply_migrations(empty_db) == []

    assert await snapshot(empty_db) == before


async def test_two_concurrent_runs_both_succeed_and_apply_each_version_once(new_database):
    dsn = await new_database(migrate=False)
    first, second = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        async with asyncio.timeout(30):  # a hang guard only
            results = await asyncio.gather(apply_migrations(first), apply_migrations(second))
        versions = [m.version for m in discover()]
        applied = sorted(m.version for result in results for m in result)
        # Each version applied by exactly one of the two; the other found nothing left to do.
        assert applied == versions
        assert sorted(len(r) for r in results) == [0, len(versions)]
        counts = await first.fetch("select version, count(*) as n from schema_migrations group by version")
        assert sorted((r["version"], r["n"]) for r in counts) == [(v, 1) for v in versions]
        # Both sessions released the lock: a third run neither waits nor applies anything.
        async with asyncio.timeout(5):
            assert await apply_migrations(second) == []
    finally:
        await first.close()
        await second.close()


async def test_a_migration_changed_after_it_was_applied_is_refused(empty_db, migration_copy):
    await apply_migrations(empty_db, migration_copy)
    before = await snapshot(empty_db)
    first = sorted(migration_copy.glob("*.sql"))[0]
    edited = first.read_text(encoding="utf-8") + "\ncreate table edited_afterwards (id int);\n"
    first.write_text(edited, encoding="utf-8")
    (migration_copy / "9999_later.sql").write_text("create table later_table (id int);\n", encoding="utf-8")

    with pytest.raises(MigrationError, match=rf"{first.stem} was changed after it was applied"):
        await apply_migrations(empty_db, migration_copy)

    # The run stopped before applying anything newer, and it let go of the lock.
    assert await snapshot(empty_db) == before
    assert not await empty_db.fetchval("select to_regclass('later_table') is not null")
    async with asyncio.timeout(5):
        assert await apply_migrations(empty_db) == []


async def test_a_reworded_comment_is_not_a_change_and_older_checksums_are_upgraded(empty_db, migration_copy):
    """Comments may be reworded after a file was applied (the old ones cited notes outside the
    repository); a database that recorded the whole file's checksum keeps working and is moved to
    the statements' checksum."""
    await apply_migrations(empty_db, migration_copy)
    first = sorted(migration_copy.glob("*.sql"))[0]
    text = first.read_text(encoding="utf-8")
    # As a database migrated before this change recorded it: the whole file. Accepted, and moved
    # to the statements' checksum.
    whole = hashlib.sha256(text.encode()).hexdigest()
    await empty_db.execute("update schema_migrations set checksum = $1 where version = 1", whole)
    assert await apply_migrations(empty_db, migration_copy) == []
    # From then on a reworded comment is no change.
    first.write_text("-- reworded afterwards, see docs/architecture.md\n" + text, encoding="utf-8")
    assert await apply_migrations(empty_db, migration_copy) == []
    [migration] = [m for m in discover(migration_copy) if m.version == 1]
    assert await empty_db.fetchval("select checksum from schema_migrations where version = 1") == migration.checksum


@pytest.mark.parametrize(
    "bad_name",
    ["1_init.sql", "0003-extra.sql", "0003_Extra.sql", "0003_extra.SQL.sql", "00003_extra.sql", "0003_.sql"],
)
async def test_badly_named_migration_files_are_refused(empty_db, migration_copy, bad_name):
    (migration_copy / bad_name).write_text("create table misnamed (id int);\n", encoding="utf-8")

    with pytest.raises(
        MigrationError, match=rf"^{re.escape(bad_name)}: migration files are named NNNN_snake_case\.sql$"
    ):
        await apply_migrations(empty_db, migration_copy)

    # Refused before touching the database: not even the ledger exists.
    assert not await empty_db.fetchval("select to_regclass('schema_migrations') is not null")


async def test_two_files_with_one_version_are_refused(empty_db, migration_copy):
    (migration_copy / "0001_again.sql").write_text("select 1;\n", encoding="utf-8")
    with pytest.raises(MigrationError, match="share a version"):
        await apply_migrations(empty_db, migration_copy)
    assert not await empty_db.fetchval("select to_regclass('schema_migrations') is not null")


async def test_a_new_migration_is_applied_alone(empty_db, migration_copy):
    await apply_migrations(empty_db, migration_copy)
    (migration_copy / "9000_add_note.sql").write_text("create table added_later (id int primary key);\n")

    applied = await apply_migrations(empty_db, migration_copy)

    assert [(m.version, m.name) for m in applied] == [(9000, "add_note")]
    assert await empty_db.fetchval("select to_regclass('added_later') is not null")


async def test_a_failing_migration_leaves_nothing_behind(empty_db, migration_copy):
    """Each file runs in its own transaction: a failure halfway through undoes that file only."""
    (migration_copy / "9000_half_done.sql").write_text(
        "create table half_done (id int);\ninsert into half_done values (1);\nselect 1 / 0;\n", encoding="utf-8"
    )
    with pytest.raises(asyncpg.DivisionByZeroError):
        await apply_migrations(empty_db, migration_copy)

    assert not await empty_db.fetchval("select to_regclass('half_done') is not null")
    assert await ledger(empty_db) == [m.version for m in discover()]
    # The lock was released: a run with the repository's files finds nothing to do.
    async with asyncio.timeout(5):
        assert await apply_migrations(empty_db) == []


async def test_heima_migrate_command_twice(new_database, tmp_path):
    dsn = await new_database(migrate=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEIMA_")}
    env.update(HEIMA_DATABASE_URL=dsn, HEIMA_DATA_DIR=str(tmp_path / "data"))

    def heima_migrate() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(HEIMA), "migrate"], env=env, capture_output=True, text=True, timeout=60, check=False)

    first = await asyncio.to_thread(heima_migrate)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"applied {len(discover())} migration(s)"

    second = await asyncio.to_thread(heima_migrate)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "database is up to date"

    conn = await asyncpg.connect(dsn)
    try:
        assert await ledger(conn) == [m.version for m in discover()]
    finally:
        await conn.close()
