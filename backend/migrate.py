"""Forward-only migrations: numbered SQL files applied in order, each in its own transaction.

Two `heima migrate` processes at once are safe: both take the same advisory lock, the second waits
and then finds nothing left to do. An applied file whose text has changed stops the run, because
the database no longer matches what the repository says it is.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

log = logging.getLogger("heima.migrate")

# Any constant shared by every migrator; "heima" in ASCII.
_ADVISORY_LOCK_KEY = 0x6865696D61
_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """Of the statements only: a comment may be reworded after the file was applied (the
        statements may not, ever)."""
        return hashlib.sha256(_statements(self.sql).encode()).hexdigest()

    def matches(self, recorded: str) -> bool:
        """Whether `recorded` (schema_migrations) is this file. Databases migrated before the
        checksum left comments out recorded the whole file's: as it is now, or as it was before
        its comments were reworded to cite docs/ (_WHOLE_FILE_BEFORE_REWORDING)."""
        whole = hashlib.sha256(self.sql.encode()).hexdigest()
        return recorded in (self.checksum, whole, _WHOLE_FILE_BEFORE_REWORDING.get(self.version))


def _statements(sql: str) -> str:
    """The file without its whole-line comments and blank lines (a `--` inside a line is left
    alone: it may be inside a string)."""
    kept = (line.rstrip() for line in sql.splitlines())
    return "\n".join(line for line in kept if line and not line.lstrip().startswith("--"))


# The whole-file checksums these migrations had when their comments still cited notes outside the
# repository; only comments changed since (the statements' checksum proves it for new databases).
_WHOLE_FILE_BEFORE_REWORDING = {
    2: "8bc31628c13228cd4c0146ceeb567bd26ac08249eae57f6e923a6c73ecb57886",
    3: "7ded9a21cfb478c4f9517a75c1993519c94f6af2263e48e063f37ef143d0982e",
    4: "8d6a161693ed952047d495c93be09d7f7fb8d74257920b0b9e4054c539f518a6",
    5: "9e512f1bc5b58b1bdc0d79d543795ad3bd2e27ace518535f9fb653f1c7d2ee95",
    6: "75b800f52df0b5a445809bbe4ddabbf4080305891e9371c7f385e4658d3a060e",
}


def migrations_dir() -> Path:
    # Installed wheels carry the files inside the package; a source checkout has them at the top.
    packaged = Path(__file__).resolve().parent / "migrations"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[1] / "migrations"


def discover(directory: Path | None = None) -> list[Migration]:
    directory = directory or migrations_dir()
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_snake_case.sql")
        found.append(Migration(int(match["version"]), match["name"], path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return found


async def apply_migrations(conn: asyncpg.Connection, directory: Path | None = None) -> list[Migration]:
    """Apply what is pending; return what was applied (empty when already up to date)."""
    pending = discover(directory)
    await conn.execute("select pg_advisory_lock($1)", _ADVISORY_LOCK_KEY)
    try:
        await conn.execute(
            """
            create table if not exists schema_migrations (
                version     integer primary key,
                name        text not null,
                checksum    text not null,
                applied_at  timestamptz not null default now()
            )
            """
        )
        applied = {
            row["version"]: row["checksum"]
            for row in await conn.fetch("select version, checksum from schema_migrations")
        }
        done: list[Migration] = []
        for migration in pending:
            if migration.version in applied:
                recorded = applied[migration.version]
                if not migration.matches(recorded):
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} was changed after it was "
                        "applied; add a new migration instead"
                    )
                if recorded != migration.checksum:  # recorded the older way: from now on, statements
                    await conn.execute(
                        "update schema_migrations set checksum = $2 where version = $1",
                        migration.version,
                        migration.checksum,
                    )
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "insert into schema_migrations (version, name, checksum) values ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            log.info("migrate.applied", extra={"version": migration.version, "migration": migration.name})
            done.append(migration)
        return done
    finally:
        await conn.execute("select pg_advisory_unlock($1)", _ADVISORY_LOCK_KEY)


async def pending_migrations(conn: asyncpg.Connection, directory: Path | None = None) -> list[Migration]:
    """The migrations not yet applied to this database (all of them when it was never migrated)."""
    if await conn.fetchval("select to_regclass('schema_migrations')") is None:
        return discover(directory)
    applied = {row["version"] for row in await conn.fetch("select version from schema_migrations")}
    return [m for m in discover(directory) if m.version not in applied]


async def migrate(dsn: str) -> list[Migration]:
    conn = await asyncpg.connect(dsn)
    try:
        return await apply_migrations(conn)
    finally:
        await conn.close()
