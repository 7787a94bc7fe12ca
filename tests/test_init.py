"""`heima init` writes the `.env` the README's compose quick start needs: every variable compose.yaml
(and compose.turn.yaml, for video through TURN) requires, with fresh secrets the service accepts in
production, and it never overwrites a `.env` whose secrets are in use."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from alerting.push.vapid import public_key_for
from backend.settings import Settings
from tests.test_compose import APP_SERVICES, COMPOSE_TEXT, INTERPOLATION, TURN_SERVICES, TURN_TEXT, environment

HEIMA = Path(sys.executable).with_name("heima")
DOMAIN = "heima.sykehus.example"
CONTACT = "mailto:drift@sykehus.example"


def heima_init(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEIMA_")}
    return subprocess.run(
        [str(HEIMA), "init", "--domain", DOMAIN, "--contact", CONTACT, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
    )


def parse_env(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def required(compose_text: str) -> set[str]:
    """The variables a compose file cannot start without (comments aside)."""
    code = "\n".join(line for line in compose_text.splitlines() if not line.lstrip().startswith("#"))
    return {m["name"] for m in INTERPOLATION.finditer(code) if m["op"] == ":?"}


def substitute(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation with these variables set (and the defaults of those that are not)."""

    def one(match: re.Match[str]) -> str:
        if match["name"] in env:
            return env[match["name"]]
        assert match["op"] in (":-", "-"), f"{match['name']} is required and not in .env"
        return match["arg"]

    return INTERPOLATION.sub(one, value)


def test_the_env_sets_every_variable_compose_needs_and_the_service_accepts_it(tmp_path):
    result = heima_init(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    env = parse_env(result.stdout)
    assert required(COMPOSE_TEXT) <= set(env)
    assert not {"HEIMA_TURN_SECRET", "TURN_EXTERNAL_IP", "COMPOSE_FILE"} & set(env)  # no video relay asked for
    for service in APP_SERVICES:
        settings = Settings.from_env({k: substitute(v, env) for k, v in environment(service).items()})
        assert settings.is_production and len(settings.secret_key) >= 32
        assert settings.database_url == f"postgresql://heima:{env['POSTGRES_PASSWORD']}@postgres:5432/heima"
        assert public_key_for(settings.vapid_private_key)  # a usable P-256 key
        assert settings.vapid_subject == CONTACT
    assert re.fullmatch(r"[0-9a-f]{48}", env["POSTGRES_PASSWORD"])  # safe inside the URL
    assert env["HEIMA_DOMAIN"] == DOMAIN
    # It made nothing in the directory it ran in (no development key files).
    assert list(tmp_path.iterdir()) == []


def test_video_through_turn_adds_the_relay_file_and_its_secret(tmp_path):
    result = heima_init("--turn-external-ip", "198.41.0.4", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    env = parse_env(result.stdout)
    assert required(COMPOSE_TEXT) | required(TURN_TEXT) <= set(env)
    assert env["COMPOSE_FILE"].split(":") == ["compose.yaml", "compose.turn.yaml"]
    api = Settings.from_env({k: substitute(v, env) for k, v in environment("api", TURN_SERVICES).items()})
    assert api.turn_secret == env["HEIMA_TURN_SECRET"] and len(api.turn_secret) == 64
    assert api.turn_urls == (
        "turn:198.41.0.4:3478?transport=udp",
        "turn:198.41.0.4:3478?transport=tcp",
    )


def test_every_run_makes_new_secrets(tmp_path):
    first, second = (parse_env(heima_init(cwd=tmp_path).stdout) for _ in range(2))
    for name in ("POSTGRES_PASSWORD", "HEIMA_SECRET_KEY", "HEIMA_VAPID_PRIVATE_KEY"):
        assert first[name] != second[name], name


def test_a_file_is_created_for_its_owner_only_and_never_overwritten(tmp_path):
    target = tmp_path / ".env"
    result = heima_init("--output", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    written = target.read_text()
    again = heima_init("--output", str(target), cwd=tmp_path)
    assert again.returncode == 1
    assert "exists: its secrets are in use" in again.stderr
    assert target.read_text() == written


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--turn-external-ip", "10.0.0.5"], "is not public"),
        (["--turn-external-ip", "turn.example.org"], "is not an IPv4 address"),
    ],
)
def test_a_relay_address_phones_cannot_reach_is_refused(tmp_path, args, message):
    result = heima_init(*args, cwd=tmp_path)
    assert result.returncode == 1 and message in result.stderr and result.stdout == ""


def test_a_domain_that_is_not_a_host_name_is_refused(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEIMA_")}
    result = subprocess.run(
        [str(HEIMA), "init", "--domain", "https://heima.example.org/", "--contact", CONTACT],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1 and "is not a host name" in result.stderr
