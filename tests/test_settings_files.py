"""Secrets read from files (HEIMA_<NAME>_FILE), as Docker and Kubernetes mount them, so that they
need not sit in the environment (backend/settings.py)."""

from __future__ import annotations

import pytest

from backend.settings import FILE_SETTINGS, Settings, SettingsError, known_env_names

SECRET = "s3cret-from-a-mounted-file-0123456789abcdef"


@pytest.mark.parametrize("name", FILE_SETTINGS)
def test_each_secret_may_come_from_a_file(tmp_path, name):
    secret_file = tmp_path / name
    value = "redis://:pw@redis:6379/0" if name == "redis_url" else SECRET
    if name == "database_url":
        value = "postgresql://heima:pw@db:5432/heima"
    secret_file.write_text(value + "\n")  # as `echo` writes it
    settings = Settings.from_env({f"HEIMA_{name.upper()}_FILE": str(secret_file)})
    assert getattr(settings, name) == value
    assert f"HEIMA_{name.upper()}_FILE" in known_env_names()


def test_production_starts_on_secrets_from_files(tmp_path):
    files = {}
    for name, value in {
        "database_url": "postgresql://heima:pw@db:5432/heima",
        "redis_url": "redis://redis:6379/0",
        "secret_key": SECRET,
    }.items():
        (tmp_path / name).write_text(value)
        files[f"HEIMA_{name.upper()}_FILE"] = str(tmp_path / name)
    settings = Settings.from_env({"HEIMA_ENV": "production", **files})
    assert settings.secret_key == SECRET and settings.is_production


def test_a_value_and_a_file_for_the_same_secret_are_refused(tmp_path):
    (tmp_path / "key").write_text(SECRET)
    with pytest.raises(SettingsError, match="set HEIMA_SECRET_KEY or HEIMA_SECRET_KEY_FILE, not both"):
        Settings.from_env({"HEIMA_SECRET_KEY": SECRET, "HEIMA_SECRET_KEY_FILE": str(tmp_path / "key")})


def test_a_missing_or_empty_file_is_named(tmp_path):
    with pytest.raises(SettingsError, match=r"HEIMA_SECRET_KEY_FILE: cannot read .*/absent: No such file"):
        Settings.from_env({"HEIMA_SECRET_KEY_FILE": str(tmp_path / "absent")})
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(SettingsError, match=r"HEIMA_SECRET_KEY_FILE: .* is empty"):
        Settings.from_env({"HEIMA_SECRET_KEY_FILE": str(tmp_path / "empty")})


def test_settings_that_are_not_secrets_have_no_file_variant(tmp_path):
    (tmp_path / "port").write_text("9000")
    assert Settings.from_env({"HEIMA_PORT_FILE": str(tmp_path / "port")}).port == Settings().port
    assert "HEIMA_PORT_FILE" not in known_env_names()
