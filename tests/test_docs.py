"""The repository stands on its own: what the code and README cite is in `docs/`, and it is there.

Comments once cited notes that lived outside the repository, which the next engineer could not
follow. These tests fail when a file outside `docs/` cites such a note again, when a `docs/…md`
path named anywhere does not exist, when a cited section or identifier ("docs/reliability.md,
R7", `docs/api.md, "Web Push"`, "docs/architecture.md, habit 6") is not in the document, and when
the imports stop pointing the one way docs/architecture.md says they do.
"""

from __future__ import annotations

import ast
import graphlib
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The team's notes that were never part of the repository (spelled so this file does not cite them).
_NOTES = ("API", "CLINICAL", "RELIABILITY", "ARCHITECTURE", "PERFORMANCE", "WEB")
NOTE_CITATION = re.compile(r"\b(?:" + "|".join(_NOTES) + r")\.md\b")
# A relative path up into a folder named `shared` cites the notes' folder, unless it resolves to a
# path in the repository (the web apps import their own `web/shared/`).
SHARED_PATH = re.compile(r"\.\./shared\b[\w./-]*")

DOC_PATH = re.compile(r"(?<![\w/.-])docs/(?P<doc>[\w/-]+\.md)")
# After a document's path: a quoted section (`docs/api.md, "Web Push"`, `docs/api.md ("Web Push")`)…
QUOTED_SECTION = re.compile(r'^`?\)?,?\s*\(?"(?P<section>[^"]+)"')
# …or identifiers defined in it (R7, F1, D4, W2, P8, C3) and habits of docs/architecture.md.
IDENTIFIER = re.compile(r"\b(?P<id>[CDFPRW]\d{1,2})\b")
HABIT = re.compile(r"\bhabits? (?P<number>\d{1,2})\b")
# A comment that continues on the next line: the marker is not part of the citation.
CONTINUATION = re.compile(r"\s*\n\s*(?:#|--|\*|//)?\s*")


@cache
def repository_files() -> tuple[str, ...]:
    """Tracked files and new ones not ignored: what a commit would hold."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the repository's own files cannot be listed")
    return tuple(sorted(name for name in listed.split("\0") if name and (ROOT / name).is_file()))


def text_of(name: str) -> str | None:
    try:
        return (ROOT / name).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None  # an image or another binary file


def texts(names: tuple[str, ...]) -> dict[str, str]:
    return {name: text for name in names if (text := text_of(name)) is not None}


def line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def test_nothing_cites_notes_that_are_not_in_the_repository():
    """Not even docs/ or the applied migrations (their comments may be reworded: backend/migrate.py)."""
    citations = []
    for name, text in texts(repository_files()).items():
        if name == "tests/test_docs.py":
            continue  # the rule itself
        for match in NOTE_CITATION.finditer(text):
            citations.append(f"{name}:{line_of(text, match.start())}: {match.group()}")
        for match in SHARED_PATH.finditer(text):
            if not (ROOT / name).parent.joinpath(match.group()).resolve().is_relative_to(ROOT):
                citations.append(f"{name}:{line_of(text, match.start())}: {match.group()}")
    assert citations == [], "cite docs/ instead:\n" + "\n".join(citations)


def cited_docs() -> list[tuple[str, int, str, str]]:
    """(file, line, document, what follows the citation) for every `docs/…md` named anywhere."""
    found = []
    for name, text in texts(repository_files()).items():
        for match in DOC_PATH.finditer(text):
            following = CONTINUATION.sub(" ", text[match.end() : match.end() + 120])
            found.append((name, line_of(text, match.start()), match.group("doc"), following))
    return found


def test_every_docs_path_named_in_the_repository_exists():
    missing = [
        f"{name}:{line}: docs/{doc}" for name, line, doc, _ in cited_docs() if not (ROOT / "docs" / doc).is_file()
    ]
    assert missing == []


def defines(document: str, citation: str) -> bool:
    """Whether `document` holds the section or identifier a citation names."""
    if citation.startswith("habit "):
        return re.search(rf"^{citation.removeprefix('habit ')}\. \*\*", document, re.MULTILINE) is not None
    if IDENTIFIER.fullmatch(citation):
        # A table row (`| R7 |`), a bold list item (`- **D1 …`) or a heading (`### C3 …`).
        return re.search(rf"(?:^\| |\*\*|^#+ ){citation}\b", document, re.MULTILINE) is not None
    # A quoted section: the start of a heading or of a bold list item.
    for line in document.splitlines():
        heading = line.lstrip("#").strip() if line.startswith("#") else None
        bold = re.match(r"^[-\d.\s]*\*\*(?P<title>[^*]+)\*\*", line)
        for title in (heading, bold and bold.group("title")):
            if title and title.lower().startswith(citation.lower()):
                return True
    return False


def citations_in(following: str, doc: str) -> list[str]:
    quoted = QUOTED_SECTION.match(following)
    if quoted:
        return [quoted.group("section")]
    # Identifiers up to the end of the parenthesis or sentence the citation stands in, or in the
    # parenthesis right after it ("docs/reliability.md (R11, R14)").
    span = following.lstrip("`").lstrip()
    span = re.split(r"[)(;`]|\.\s", span.removeprefix("("), maxsplit=1)[0]
    if doc == "architecture.md":
        return [f"habit {match.group('number')}" for match in HABIT.finditer(span)]
    return [match.group("id") for match in IDENTIFIER.finditer(span)]


def test_every_cited_section_and_identifier_is_in_its_document():
    unknown = []
    checked = 0
    for name, line, doc, following in cited_docs():
        path = ROOT / "docs" / doc
        if not path.is_file():
            continue  # the test above reports it
        document = path.read_text(encoding="utf-8")
        for citation in citations_in(following, doc):
            checked += 1
            if not defines(document, citation):
                unknown.append(f"{name}:{line}: docs/{doc}, {citation}")
    assert unknown == []
    assert checked > 50, "the citations were not found at all: the patterns above no longer match"


# What docs/architecture.md ("Imports point one way") allows alerting/ and video/ to use of backend.
SHARED_INFRASTRUCTURE = {
    "access",
    "clock",
    "db",
    "decoding",
    "errors",
    "observability",
    "security",
    "settings",
    "timezones",
    "tracing",
}


def backend_modules_imported_by(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
        modules.update(name.split(".")[1] for name in names if name.startswith("backend."))
        if isinstance(node, ast.ImportFrom) and node.module == "backend":
            modules.update(alias.name for alias in node.names)
    return modules


@pytest.mark.parametrize("package", ["alerting", "video"])
def test_alerting_and_video_use_only_backends_shared_infrastructure(package):
    crossing = {
        f"{path.relative_to(ROOT)}: backend.{module}"
        for path in (ROOT / package).rglob("*.py")
        for module in backend_modules_imported_by(path) - SHARED_INFRASTRUCTURE
    }
    assert crossing == set(), "move what both sides need into a module both may import"
    assert (ROOT / package / "__init__.py").is_file()


def alerting_modules_imported_by(path: Path) -> set[str]:
    """The modules of alerting/ a module imports, TYPE_CHECKING-only imports included."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names if alias.name.startswith("alerting"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("alerting"):
            if node.module in ("alerting", "alerting.engine"):  # `from alerting.engine import texts`
                modules.update(f"{node.module}.{alias.name}" for alias in node.names)
            else:
                modules.add(node.module)
    return modules


def test_the_engine_stands_alone_and_its_modules_import_each_other_without_a_cycle():
    """docs/architecture.md ("Imports point one way"): alerting/engine/ is pure and imports nothing
    of alerting outside itself; the types its modules share live in types.py, so none needs
    another one that needs it back (not even for type checking)."""
    engine = ROOT / "alerting" / "engine"
    graph = {
        path.stem: {module.removeprefix("alerting.engine.") for module in alerting_modules_imported_by(path)}
        for path in engine.glob("*.py")
    }
    outside = {f"{name}: {module}" for name, modules in graph.items() for module in modules if "." in module}
    assert outside == set(), "the engine may not import the lifecycle, the worker or the views"
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as cycle:
        pytest.fail(f"the engine's modules import each other in a circle: {cycle.args[1]}")
