"""The container image, checked without Docker (none runs in CI): the Dockerfile builds in stages
from pinned bases, installs only what requirements.lock names with its hashes, leaves out tests
and the embedded PostgreSQL, and has a HEALTHCHECK; and the lock files agree with pyproject.toml
(the runtime lock: its dependencies and the `tracing` extra, which the image ships switched off).

docs/operations.md ("The image") says how the locks are made and how the image was built by hand
from them without Docker (the same pip commands, on this machine's Python 3.11)."""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
DOCKERIGNORE = {
    line.strip()
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
}
PYPROJECT_SOURCE = "heima (pyproject.toml)"
# The extras the image ships, locked in requirements.lock beside the dependencies (pip-compile's
# --extra): tracing, off unless the OTEL_* variables turn it on (docs/operations.md, "Tracing").
IMAGE_EXTRAS = ("tracing",)


# --- the lock files ------------------------------------------------------------------------------


@dataclass
class Locked:
    version: Version
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)


def read_lock(name: str) -> dict[str, Locked]:
    """pip-compile's output: `name==version \\` with its `--hash` lines and `# via` comments."""
    locked: dict[str, Locked] = {}
    current: Locked | None = None
    for raw in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if match := re.fullmatch(r"([A-Za-z0-9._-]+)==([^ ;\\]+)\s*\\?", line):
            current = locked[canonicalize_name(match[1])] = Locked(Version(match[2]))
        elif current and line.startswith("--hash="):
            current.hashes.append(line.removeprefix("--hash=").rstrip(" \\"))
        elif current and (line.startswith("# via") or line.startswith("#   ")):
            via = line.removeprefix("# via").removeprefix("#").strip()
            if via:
                current.via.append(via)
        elif line and not line.startswith("#"):
            raise AssertionError(f"{name}: unexpected line {raw!r}")
    return locked


def lock_command(name: str) -> list[str]:
    """The pip-compile command pip-compile wrote at the head of the lock file (how to make it again)."""
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    return shlex.split(next(line for line in lines if line.startswith("#    pip-compile ")).removeprefix("#"))


def image_requirements() -> set[Requirement]:
    """pyproject.toml's dependencies and those of the extras the image ships."""
    extras = PYPROJECT["project"]["optional-dependencies"]
    specs = [*PYPROJECT["project"]["dependencies"], *(spec for extra in IMAGE_EXTRAS for spec in extras[extra])]
    return {Requirement(spec) for spec in specs}


RUNTIME = read_lock("requirements.lock")
BUILD = read_lock("requirements-build.lock")


def test_every_locked_package_is_pinned_with_sha256_hashes():
    for name, lock in (("requirements.lock", RUNTIME), ("requirements-build.lock", BUILD)):
        assert lock, name
        for package, locked in lock.items():
            assert locked.hashes, f"{name}: {package} has no hash"
            assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in locked.hashes), package


def test_the_runtime_lock_is_made_with_hashes_and_the_image_extras():
    command = lock_command("requirements.lock")
    assert "--generate-hashes" in command and command[-1] == "pyproject.toml"
    assert {word.removeprefix("--extra=") for word in command if word.startswith("--extra")} == set(IMAGE_EXTRAS)


def test_the_runtime_lock_is_pyproject_dependencies_and_what_they_need():
    direct = image_requirements()
    # Each dependency of pyproject.toml (and of the image's extras) is locked at a version it allows…
    for requirement in direct:
        locked = RUNTIME.get(canonicalize_name(requirement.name))
        assert locked is not None, f"{requirement.name} is not in requirements.lock: run pip-compile again"
        assert requirement.specifier.contains(locked.version, prereleases=True), (requirement, locked.version)
    # …and nothing else is locked for pyproject.toml itself: a dependency removed there is gone here.
    from_pyproject = {name for name, locked in RUNTIME.items() if PYPROJECT_SOURCE in locked.via}
    assert from_pyproject == {canonicalize_name(r.name) for r in direct}
    # Everything else is there because a locked package needs it.
    for name, locked in RUNTIME.items():
        assert locked.via, f"{name}: no `# via`"
        for parent in locked.via:
            assert parent == PYPROJECT_SOURCE or canonicalize_name(parent) in RUNTIME, (name, parent)


def test_the_runtime_lock_has_no_development_or_test_packages():
    extras = PYPROJECT["project"]["optional-dependencies"]
    only_extras = {canonicalize_name(Requirement(spec).name) for specs in extras.values() for spec in specs}
    only_extras -= {canonicalize_name(requirement.name) for requirement in image_requirements()}
    assert "pgserver" in only_extras  # the embedded PostgreSQL is an extra, for development
    assert not {"embedded", "test"} & set(IMAGE_EXTRAS)
    leaked = {name for name in only_extras if PYPROJECT_SOURCE in RUNTIME.get(name, Locked(Version("0"))).via}
    assert not leaked
    assert "pgserver" not in RUNTIME and "pytest" not in RUNTIME


def test_the_build_lock_has_the_build_backend_pyproject_names():
    for spec in PYPROJECT["build-system"]["requires"]:
        requirement = Requirement(spec)
        locked = BUILD.get(canonicalize_name(requirement.name))
        assert locked is not None and requirement.specifier.contains(locked.version), requirement
    assert "setuptools" in BUILD  # builds http-ece, the locked package published only as source
    assert "http-ece" in RUNTIME


# --- the Dockerfile ------------------------------------------------------------------------------


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n(\s*#[^\n]*\n)*", " ", DOCKERFILE)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def build_args() -> dict[str, str]:
    return dict(rest.split("=", 1) for keyword, rest in instructions() if keyword == "ARG" and "=" in rest)


def stages() -> list[str]:
    return [rest for keyword, rest in instructions() if keyword == "FROM"]


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def test_the_image_is_built_in_stages_from_pinned_bases():
    froms = stages()
    assert len(froms) >= 3  # the web apps, the wheels, the runtime
    args = build_args()
    for line in froms:
        image = line.split()[0]
        image = args.get(image.strip("${}"), image)
        name, _, tag = image.partition(":")
        # An exact release on a named Debian release, never `latest` or a floating major.
        assert re.fullmatch(r"\d+\.\d+\.\d+-(slim-)?bookworm(-slim)?(@sha256:[0-9a-f]{64})?", tag), image
        assert name in ("python", "node"), image
    # The runtime starts from the same Python as the stage that built its wheels.
    assert froms[-1].split()[0] == next(f for f in froms if " AS wheels" in f).split()[0]


def test_python_packages_come_only_from_the_lock_files_with_hashes():
    runs = [rest for keyword, rest in instructions() if keyword == "RUN"]
    pip_commands = [cmd for run in runs for cmd in re.split(r"&&|;", run) if " pip " in f" {cmd} " or "/pip " in cmd]
    assert pip_commands
    for command in pip_commands:
        words = shlex.split(command)
        subcommand = next(w for w in words if w in ("install", "wheel", "check"))
        if subcommand == "check":
            continue
        requirement_files = [words[i + 1] for i, w in enumerate(words) if w == "-r"]
        local = [w for w in words if w == "." or w.endswith(".whl")]
        assert "--no-deps" in words, command  # nothing resolved at build time
        if requirement_files:
            assert "--require-hashes" in words, command
            assert {Path(f).name for f in requirement_files} <= {"requirements.lock", "requirements-build.lock"}
        else:
            assert local, f"a package named outside the lock files: {command}"
    # The runtime installs the wheels built from the locks, from no index.
    runtime_runs = [rest for keyword, rest in final_stage() if keyword == "RUN"]
    assert any("--no-index" in run and "/wheels/" in run for run in runtime_runs)
    assert any("pip check" in run for run in runtime_runs)


def test_the_runtime_holds_no_tests_no_build_tools_and_runs_unprivileged():
    final = final_stage()
    copies = [rest for keyword, rest in final if keyword in ("COPY", "ADD")]
    # Only the built web apps are copied in (the code arrives as a wheel).
    assert copies == ["--from=web /web/dist /opt/heima-web"]
    assert "USER heima" in {f"{k} {r}" for k, r in final}
    # The code reaches the wheel stage by name: tests/ and tools/ never do.
    wheel_stage_copies = [rest for keyword, rest in instructions() if keyword == "COPY"]
    assert not any("tests" in copy or copy.startswith(". ") for copy in wheel_stage_copies)
    assert {"tests", "tools", ".heima", ".env", ".venv", ".git"} <= DOCKERIGNORE
    # The wheel packs the code packages and the migrations, no tests.
    wheel = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert set(wheel["packages"]) == {"backend", "alerting", "video"}


def test_the_image_has_a_healthcheck_on_readiness():
    healthchecks = [rest for keyword, rest in final_stage() if keyword == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert "/health/ready" in healthchecks[0] and "--interval=" in healthchecks[0]
    assert ("CMD", '["heima", "serve", "--host", "0.0.0.0", "--port", "8000"]') in final_stage()
