"""The restore drill of docs/operations.md ("Backup and restore"), as an operator runs it: pg_dump a
migrated database with data, pg_restore the dump into a fresh database, `heima migrate` on it, and
the service reads a patient's measurements from it, sessions and all, and writes new ones."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from backend.clock import FrozenClock
from tests.alerts.support import temperature, upload
from tests.conftest import make_settings
from tests.helpers import API, START, app_client, expect
from tests.localhost import create_database, drop_database, real_time_env
from tests.worker.support import open_hospital, open_ward

HEIMA = Path(sys.executable).with_name("heima")


def client_tools(server_major: int) -> Path:
    """The directory of a pg_dump/pg_restore pair that can dump this server: the machine's own
    client tools, or the embedded PostgreSQL's when the tests run on that (pg_dump refuses a server
    newer than itself)."""
    candidates = [shutil.which("pg_dump")]
    try:
        import pgserver

        candidates.append(str(Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"))
    except ImportError:
        pass
    for pg_dump in filter(None, candidates):
        if not Path(pg_dump).exists():
            continue
        version = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, check=True).stdout
        if int(version.split()[-1].split(".")[0]) >= server_major:
            return Path(pg_dump).parent
    pytest.skip(f"no pg_dump for PostgreSQL {server_major} or newer (Debian package postgresql-client)")


async def run(*command: str | Path, env: dict[str, str] | None = None) -> str:
    """Run a command to its end (as the operator would, in a shell); its standard output."""
    process = await asyncio.create_subprocess_exec(
        *map(str, command),
        env=env or real_time_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


async def measurements(client, ward) -> list[dict]:
    response = await client.get(f"{API}/patients/{ward.patient}/measurements", headers=ward.nurses[0].headers)
    return (await expect(response, 200))["items"]


async def test_a_dump_restored_into_a_fresh_database_runs_the_service(
    new_database, postgres_server_dsn, redis_url, tmp_path
):
    source = await new_database()
    settings = make_settings(source, redis_url)
    clock = FrozenClock(START)
    async with app_client(settings, clock) as client:
        hospital = await open_hospital(client, source, settings)
        ward = await open_ward(client, hospital, None, nurses=1)
        await upload(client, ward.nurses[0], ward.patient, temperature(37.1), temperature(38.9))
        before = await measurements(client, ward)
    conn = await asyncpg.connect(source)
    try:
        server_major = int(await conn.fetchval("show server_version_num")) // 10000
        log_rows = await conn.fetchval("select count(*) from access_log")
    finally:
        await conn.close()
    tools = client_tools(server_major)

    # Back up: one consistent snapshot in PostgreSQL's custom format, while the service runs.
    dump = tmp_path / "heima.dump"
    await run(tools / "pg_dump", "--format=custom", "--no-owner", "--file", dump, source)
    # Restore: a fresh, empty database, the dump in one transaction, then `heima migrate`.
    name, restored = await create_database(postgres_server_dsn, migrate=False)
    try:
        restore = ("--no-owner", "--exit-on-error", "--single-transaction")
        await run(tools / "pg_restore", *restore, "--dbname", restored, dump)
        env = {k: v for k, v in real_time_env().items() if not k.startswith("HEIMA_")}
        env.update(HEIMA_DATABASE_URL=restored, HEIMA_DATA_DIR=str(tmp_path), HEIMA_LOG_LEVEL="WARNING")
        assert (await run(HEIMA, "migrate", env=env)).strip() == "database is up to date"

        # The service on the restored database, with the same secret key: the nurse's session
        # still holds, the patient's data is all there and is logged as read, and new data gets
        # fresh ids after the restored ones.
        async with app_client(make_settings(restored, redis_url), clock) as client:
            assert await measurements(client, ward) == before
            await upload(client, ward.nurses[0], ward.patient, temperature(37.4))
            assert len(await measurements(client, ward)) == len(before) + 1
        conn = await asyncpg.connect(restored)
        try:
            assert await conn.fetchval("select count(*) from access_log") == log_rows + 3
        finally:
            await conn.close()
    finally:
        await drop_database(postgres_server_dsn, name)
