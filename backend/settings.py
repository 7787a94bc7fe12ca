"""Settings: the only place that reads the environment.

`Settings.from_env()` is called by the command line (the composition root's caller); tests build
`Settings(...)` directly. Nothing here connects to anything.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

# The browser vendors' push services (RELIABILITY.md, "Our rule"): a subscription naming any other
# host is refused, and nothing is ever sent to it.
DEFAULT_PUSH_HOSTS = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "web.push.apple.com",
    ".notify.windows.com",
)


class SettingsError(ValueError):
    """The environment does not describe a runnable service."""


def _env(name: str) -> str:
    return f"HEIMA_{name.upper()}"


@dataclass(frozen=True, slots=True)
class Settings:
    # "development" may invent what is missing (an ephemeral secret key, an embedded database);
    # "production" refuses to start without every secret set explicitly.
    env: str = "development"
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: str = field(default="", repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    # Where the embedded PostgreSQL keeps its files when no database_url is given.
    data_dir: str = ".heima"
    db_pool_min: int = 2
    db_pool_max: int = 10
    access_token_ttl_seconds: int = 15 * 60
    # Long enough that a parent whose phone was offline for the weekend is still signed in.
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    activation_code_ttl_hours: int = 72
    max_body_bytes: int = 64 * 1024
    # Login throttling: a window of failures per account and per address, never a permanent lock.
    login_failure_window_seconds: int = 15 * 60
    login_failures_per_account: int = 5
    login_failures_per_address: int = 30
    # argon2id cost. Tests lower it; production keeps the library's RFC 9106 low-memory profile.
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536
    vapid_private_key: str | None = field(default=None, repr=False)
    vapid_subject: str | None = None
    push_allowed_hosts: tuple[str, ...] = DEFAULT_PUSH_HOSTS
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = field(default=None, repr=False)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = environ.get(_env(f.name))
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, f.type, raw)
        settings = cls(**values)  # type: ignore[arg-type]
        return settings.checked()

    def checked(self) -> Settings:
        """Refuse unsafe combinations (production without its secrets)."""
        if self.env not in ("development", "production"):
            raise SettingsError(f"{_env('env')} must be 'development' or 'production'")
        if self.is_production:
            missing = [_env(name) for name in ("database_url", "redis_url", "secret_key") if not getattr(self, name)]
            if missing:
                raise SettingsError("production mode requires " + ", ".join(missing))
            if len(self.secret_key) < 32:
                raise SettingsError(f"{_env('secret_key')} must be at least 32 characters")
        return self

    def with_development_secret(self) -> Settings:
        """Development without HEIMA_SECRET_KEY: a key kept in the data directory, so codes printed
        by `heima seed-demo` still work in `heima serve` and sign-ins survive a restart."""
        if self.secret_key or self.is_production:
            return self
        path = Path(self.data_dir).resolve() / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(32))
        return replace(self, secret_key=path.read_text().strip())

    @property
    def embedded_data_path(self) -> Path:
        return Path(self.data_dir).resolve() / "pgdata"


def _parse(name: str, annotation: object, raw: str) -> object:
    kind = str(annotation)
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{_env(name)} must be a whole number, not {raw!r}") from None
    if kind.startswith("tuple"):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def known_env_names() -> frozenset[str]:
    """Every environment variable the service reads (compose.yaml is checked against this)."""
    return frozenset(_env(f.name) for f in fields(Settings))
