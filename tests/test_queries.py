"""Every named query PREPAREs against the migrated schema, so a renamed column fails here, not in a
request (backend/db.py)."""

from __future__ import annotations

import re

import pytest

from backend.db import PACKAGE_ROOT, QUERY_NAMES, all_query_files, parse_queries

_HEADER = re.compile(r"^--\s*name:\s*(\S+)", re.MULTILINE)
_PARAMETER = re.compile(r"\$(\d+)")


def _named_queries() -> list[tuple[str, str, str]]:
    found = []
    for path in all_query_files():
        for name, sql in parse_queries(path.read_text(encoding="utf-8")).items():
            found.append((str(path.relative_to(PACKAGE_ROOT.parent)), name, sql))
    return found


QUERIES = _named_queries()


def test_query_files_are_found_and_each_has_queries():
    files = all_query_files()
    domains = {path.parent.name for path in files}
    assert {"access", "identity", "organisation", "patients", "programmes"} <= domains
    for path in files:
        text = path.read_text(encoding="utf-8")
        queries = parse_queries(text)
        assert queries, f"{path} has no named query"
        # Every header parses (a typo such as "-- name: Select-x" would glue its SQL to the previous query).
        assert list(queries) == _HEADER.findall(text), path
        assert all(sql for sql in queries.values()), path


def test_no_query_name_is_defined_twice():
    for path in all_query_files():
        names = _HEADER.findall(path.read_text(encoding="utf-8"))
        assert len(names) == len(set(names)), f"{path}: {sorted(n for n in names if names.count(n) > 1)}"
    with pytest.raises(ValueError, match="defined twice"):
        parse_queries("-- name: a\nselect 1\n-- name: a\nselect 2\n")


@pytest.mark.parametrize(("file", "name", "sql"), QUERIES, ids=[f"{f}:{n}" for f, n, _ in QUERIES])
async def test_query_prepares(db, file, name, sql):
    statement = await db.prepare(sql)
    # PostgreSQL inferred a type for every placeholder the text uses, and there are no gaps.
    highest = max((int(n) for n in _PARAMETER.findall(sql)), default=0)
    assert len(statement.get_parameters()) == highest


def _composed_queries() -> list[tuple[str, str]]:
    """Statements composed in code from named queries (backend.db.named_query), once the modules
    that compose them are imported."""
    import backend.app  # noqa: F401  (every domain's service module)

    from_files = {sql for _, _, sql in QUERIES}
    return sorted((name, sql) for sql, name in QUERY_NAMES.items() if sql not in from_files)


COMPOSED = _composed_queries()


def test_composed_queries_are_found():
    assert "insert_measurements_and_rules" in [name for name, _ in COMPOSED]


@pytest.mark.parametrize(("name", "sql"), COMPOSED, ids=[name for name, _ in COMPOSED])
async def test_composed_query_prepares(db, name, sql):
    statement = await db.prepare(sql)
    highest = max((int(n) for n in _PARAMETER.findall(sql)), default=0)
    assert len(statement.get_parameters()) == highest
