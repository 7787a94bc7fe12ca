"""`heima serve`'s server settings: what reaches the worker processes, and when one worker is all
there may be (backend/asgi.py, backend/cli.py). Serving itself is exercised by test_quickstart.py
and tests/video (`heima serve` subprocesses)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from backend.cli import DEFAULT_WORKERS_WITH_REDIS, serving_workers
from backend.settings import SERVERS, Settings, SettingsError


def test_the_environment_handed_to_workers_gives_the_same_settings_back() -> None:
    settings = Settings.from_env(
        {
            "HEIMA_DATABASE_URL": "postgresql://heima@db:5432/heima",
            "HEIMA_REDIS_URL": "redis://redis:6379/0",
            "HEIMA_SECRET_KEY": "s" * 40,
            "HEIMA_WORKERS": "2",
            "HEIMA_PUSH_ALLOWED_HOSTS": "127.0.0.1:8099,.example.org",
            "HEIMA_DB_POOL_MAX": "7",
        }
    )
    env = settings.as_env()
    assert Settings.from_env(env) == settings
    # Only what differs from the defaults, so a worker's environment stays short.
    assert "HEIMA_PORT" not in env
    assert env["HEIMA_PUSH_ALLOWED_HOSTS"] == "127.0.0.1:8099,.example.org"


def test_defaults_round_trip_to_an_empty_environment() -> None:
    assert Settings().as_env() == {}
    assert Settings.from_env({}) == Settings()


@pytest.mark.parametrize("server", SERVERS)
def test_each_server_is_accepted(server: str) -> None:
    assert Settings.from_env({"HEIMA_SERVER": server}).server == server


def test_an_unknown_server_or_negative_workers_is_refused() -> None:
    with pytest.raises(SettingsError, match="HEIMA_SERVER"):
        Settings.from_env({"HEIMA_SERVER": "gunicorn"})
    with pytest.raises(SettingsError, match="HEIMA_WORKERS"):
        Settings.from_env({"HEIMA_WORKERS": "-1"})


def test_the_default_is_the_measured_best_with_redis_and_one_process_without(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert Settings().server == "granian"
    assert serving_workers(Settings(redis_url="redis://127.0.0.1:6379/0")) == DEFAULT_WORKERS_WITH_REDIS
    # The development mode without Redis: one process, quietly (nobody asked for more).
    assert serving_workers(Settings()) == 1
    assert capsys.readouterr().err == ""


def test_more_than_one_worker_needs_redis(capsys: pytest.CaptureFixture[str]) -> None:
    with_redis = Settings(redis_url="redis://127.0.0.1:6379/0", workers=3)
    assert serving_workers(with_redis) == 3
    assert capsys.readouterr().err == ""
    # Without Redis, video rooms and the live feed are in-process state: one process, and it says so.
    assert serving_workers(replace(with_redis, redis_url=None)) == 1
    assert "HEIMA_REDIS_URL" in capsys.readouterr().err
    assert serving_workers(Settings(workers=1, redis_url="redis://127.0.0.1:6379/0")) == 1
