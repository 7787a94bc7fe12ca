"""The command line on a database that is not there or not migrated: a sentence that says what to
do, never a traceback (backend/cli.py). In development a database that lacks migrations is
migrated, as the embedded one is; in production that is `heima migrate`'s job."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import asyncpg
import pytest

from backend.migrate import discover
from tests.conftest import SECRET_KEY
from tests.localhost import free_port, real_time_env

HEIMA = Path(sys.executable).with_name("heima")


async def heima(*args: str, tmp_path: Path, **env: str) -> tuple[int, str, str]:
    environ = {k: v for k, v in real_time_env().items() if not k.startswith(("HEIMA_", "XDG_RUNTIME_DIR"))}
    environ.update(
        HEIMA_DATA_DIR=str(tmp_path),
        HEIMA_LOG_LEVEL="WARNING",
        HEIMA_PASSWORD_HASH_TIME_COST="1",
        HEIMA_PASSWORD_HASH_MEMORY_KIB="8",
        **env,
    )
    process = await asyncio.create_subprocess_exec(
        str(HEIMA), *args, env=environ, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, stdout.decode(), stderr.decode()


@pytest.mark.parametrize("command", [["migrate"], ["serve", "--demo"], ["worker"], ["seed-demo"]])
async def test_an_unreachable_database_is_named_without_its_password(command, tmp_path):
    port = free_port()  # nothing listens there
    dsn = f"postgresql://heima:not-for-the-logs@127.0.0.1:{port}/heima"
    status, _, stderr = await heima(*command, tmp_path=tmp_path, HEIMA_DATABASE_URL=dsn)
    assert status == 1
    assert stderr.startswith(f"heima: cannot connect to PostgreSQL at 127.0.0.1:{port}/heima (HEIMA_DATABASE_URL)")
    assert "is PostgreSQL running there" in stderr
    assert "Traceback" not in stderr and "not-for-the-logs" not in stderr


async def test_a_database_that_does_not_exist_says_create_it(postgres_server_dsn, tmp_path):
    dsn = postgres_server_dsn.rsplit("/", 1)[0] + "/heima_never_created"
    status, _, stderr = await heima("migrate", tmp_path=tmp_path, HEIMA_DATABASE_URL=dsn)
    assert status == 1
    assert 'database "heima_never_created" does not exist; create it (createdb)' in stderr
    assert "Traceback" not in stderr


async def test_production_refuses_an_unmigrated_database_and_says_migrate(new_database, redis_url, tmp_path):
    dsn = await new_database(migrate=False)
    production = {
        "HEIMA_ENV": "production",
        "HEIMA_DATABASE_URL": dsn,
        "HEIMA_REDIS_URL": redis_url,
        "HEIMA_SECRET_KEY": SECRET_KEY,
    }
    for command in (["worker"], ["serve"], ["seed-demo"]):
        status, _, stderr = await heima(*command, tmp_path=tmp_path, **production)
        assert status == 1, command
        first = discover()[0]
        assert f"lacks {len(discover())} migration(s), from {first.version:04d}_{first.name}" in stderr
        assert stderr.rstrip().endswith("run `heima migrate` first")
        assert "Traceback" not in stderr
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("select to_regclass('schema_migrations')") is None  # left as it was
    finally:
        await conn.close()
    # What it says works.
    status, stdout, _ = await heima("migrate", tmp_path=tmp_path, **production)
    assert (status, stdout.strip()) == (0, f"applied {len(discover())} migration(s)")


async def test_development_migrates_an_unmigrated_database_and_seeds_it(new_database, tmp_path):
    dsn = await new_database(migrate=False)
    status, stdout, stderr = await heima("seed-demo", tmp_path=tmp_path, HEIMA_DATABASE_URL=dsn)
    assert status == 0, stderr
    assert f"heima: applied {len(discover())} pending migration(s) to " in stderr
    assert "Staff logins" in stdout and "nurse.neo" in stdout


async def test_the_embedded_database_starts_without_warnings_where_xdg_runtime_dir_is_unset(tmp_path):
    # A container or a root shell has no XDG_RUNTIME_DIR (the helper above leaves it out).
    status, stdout, stderr = await heima("migrate", tmp_path=tmp_path)
    assert status == 0, stderr
    assert stdout.strip() == "database is up to date"  # the embedded one is migrated on start
    assert "Warning" not in stderr and "XDG_RUNTIME_DIR" not in stderr


async def test_without_a_database_url_or_the_embedded_extra_it_says_what_to_set(tmp_path):
    # The image leaves pgserver out (it is the `embedded` extra); hide it as the image lacks it.
    program = "import sys; sys.modules['pgserver'] = None; from backend.cli import main; sys.exit(main(['migrate']))"
    environ = {k: v for k, v in real_time_env().items() if not k.startswith("HEIMA_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        program,
        env={**environ, "HEIMA_DATA_DIR": str(tmp_path)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert "the embedded PostgreSQL for development is not installed (pip install 'heima[embedded]')" in (
        stderr.decode()
    )
    assert "Traceback" not in stderr.decode()
