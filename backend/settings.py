"""Settings: the only place that reads the environment.

`Settings.from_env()` is called by the command line (the composition root's caller); tests build
`Settings(...)` directly. Nothing here connects to anything.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from alerting.push.allowlist import Allowlist
from backend.proxies import parse_networks

# The browser vendors' push services (docs/reliability.md, W1): a subscription naming any other
# host is refused, and nothing is ever sent to it.
DEFAULT_PUSH_HOSTS = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "web.push.apple.com",
    ".notify.windows.com",
)


SERVERS = ("granian", "uvicorn")
# Push services want a contact in the VAPID claims; a development key names no real one.
DEVELOPMENT_VAPID_SUBJECT = "mailto:development@heima.invalid"


# The shortest retention periods accepted (docs/operations.md, "Data lifecycle"). Ten years after
# its last entry a Norwegian patient record may leave the hospital for an archive; the access log
# goes with it, never sooner. A push receipt must outlive any complaint about a missed alert.
ACCESS_LOG_MIN_RETENTION_DAYS = 3653
PUSH_ATTEMPT_MIN_RETENTION_DAYS = 30


# Settings that hold secrets may also be read from a file named by HEIMA_<NAME>_FILE (Docker and
# Kubernetes secrets are mounted as files), so they need not sit in the environment.
FILE_SETTINGS = ("database_url", "redis_url", "secret_key", "vapid_private_key", "turn_secret")


# Tracing is read from OpenTelemetry's own variables, which the worker processes of `heima serve`
# inherit as they are (so `as_env` leaves it out).
OTEL_SETTINGS = ("traces_exporter",)
TRACES_EXPORTERS = ("otlp", "console")
# Any of these names a place to send spans to, and so turns tracing on (with the OTLP exporter).
OTEL_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


def traces_exporter_from_env(environ: Mapping[str, str]) -> str:
    """Tracing is off by default, unlike the OpenTelemetry SDK, whose OTEL_TRACES_EXPORTER defaults
    to otlp: a hospital that has no collector must not have every process trying to reach one. It
    is on when OTEL_TRACES_EXPORTER names an exporter (otlp, console) or, unset, when an OTLP
    endpoint is set; OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true keeps it off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return ""
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return ""
    if exporter:
        return exporter
    return "otlp" if any(environ.get(name) for name in OTEL_ENDPOINT_VARIABLES) else ""


class SettingsError(ValueError):
    """The environment does not describe a runnable service."""


def _read_setting_file(name: str, path: str) -> str:
    try:
        # The whole file but the line break an editor or `echo` leaves at its end.
        value = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SettingsError(f"{_env(name)}_FILE: cannot read {path}: {reason}") from None
    if not value:
        raise SettingsError(f"{_env(name)}_FILE: {path} is empty")
    return value


def _check_retention(name: str, days: int, minimum: int) -> None:
    if days != 0 and days < minimum:
        raise SettingsError(f"{_env(name)} must be 0 (kept for good) or at least {minimum} days, not {days}")


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
    # `heima serve`'s HTTP server ("granian" or "uvicorn") and its worker processes. More than one
    # needs Redis (without it video rooms and the live alert feed live in one process); 0 means the
    # measured default: 2 with Redis, 1 without (backend/cli.py, serving_workers). Chosen by
    # measurement on two cores (tests/bench/bench_servers.py, docs/performance.md, P8): granian served
    # single uploads ~1.2-1.4× as fast as uvicorn, and two granian workers ~1.2× as fast as one.
    server: str = "granian"
    workers: int = 0
    log_level: str = "INFO"
    # Where the embedded PostgreSQL keeps its files when no database_url is given.
    data_dir: str = ".heima"
    db_pool_min: int = 2
    db_pool_max: int = 10
    # A request waits this long for a pooled connection, then answers 503 with Retry-After: a burst
    # that keeps every connection busy turns away newcomers instead of queueing them without end.
    db_pool_acquire_timeout_seconds: int = 5
    access_token_ttl_seconds: int = 15 * 60
    # Long enough that a parent whose phone was offline for the weekend is still signed in.
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    activation_code_ttl_hours: int = 72
    # A code a signed-in phone makes to add a new phone to its own account: typed in at once.
    device_code_ttl_minutes: int = 15
    max_body_bytes: int = 64 * 1024
    # The TLS proxies in front of Heima (CIDRs or addresses): X-Forwarded-For/-Proto are believed
    # only from a peer in one of them; empty, they are believed from nobody (backend/proxies.py).
    trusted_proxies: tuple[str, ...] = ()
    # A request whose transaction failed for a passing reason (PostgreSQL restarting, a deadlock) is
    # run again for up to this long before the 503 goes out (backend/retry.py); 0 turns it off.
    db_retry_seconds: int = 5
    # Grace for a request body: after it, one arriving slower than 1 KiB/s gets 408 and the
    # connection closes, so a slow client cannot hold a socket for good (backend/retry.py).
    body_read_timeout_seconds: int = 30
    # However steady, no body may take longer than this in all (backend/bodies.py): a full batch
    # over 2G (~150 KB at ~6 KiB/s) takes under half a minute.
    body_max_seconds: int = 120
    # Login throttling: a window of failures per account and per address, never a permanent lock.
    login_failure_window_seconds: int = 15 * 60
    login_failures_per_account: int = 5
    login_failures_per_address: int = 30
    # argon2id cost. Tests lower it; production keeps the library's RFC 9106 low-memory profile.
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536
    # Sign-ins that may wait for a hashing slot (backend/security.py); beyond them 503 with
    # Retry-After, so a burst of sign-ins queues briefly and never holds anything while it waits.
    password_hash_queue: int = 32
    vapid_private_key: str | None = field(default=None, repr=False)
    vapid_subject: str | None = None
    push_allowed_hosts: tuple[str, ...] = DEFAULT_PUSH_HOSTS
    # Web Push (alerting/push/sender.py). How long a push service keeps an undelivered alert for an
    # offline phone: an explicit value, since pywebpush's default of 0 drops it at once.
    push_ttl_seconds: int = 3600
    push_connect_timeout_seconds: int = 5
    push_read_timeout_seconds: int = 10
    # The delivery worker (alerting/worker.py). A claim is a lease: a worker that dies mid-send
    # leaves its deliveries to another once it ends, so it must outlast one send (connect + 2 reads).
    delivery_lease_seconds: int = 60
    delivery_batch_size: int = 100
    # Batches being sent at once by one worker process.
    delivery_concurrency: int = 8
    # 5xx, timeouts and 429s are retried (429 and 503 after Retry-After, else after backoff
    # doubling from the first value up to the second) until a delivery has been tried this often.
    delivery_max_attempts: int = 8
    delivery_backoff_seconds: int = 5
    delivery_backoff_max_seconds: int = 300
    # NOTIFY wakes the worker at once; this poll is the fallback for a notification lost while no
    # worker listened (docs/reliability.md, D4: 1–5 s).
    delivery_poll_seconds: int = 2
    # An open high alert nobody acknowledges is pushed again to the unit after this long, and after
    # as long again to the physicians too (docs/clinical-rules.md, C4: repeat every 15 min, then escalate).
    escalation_after_seconds: int = 15 * 60
    # How often the worker evaluates the missing-data rules of every followed patient.
    sweep_interval_seconds: int = 300
    # The worker's own /metrics (the push stages of heima_alert_latency_seconds); 0: not served.
    worker_metrics_port: int = 0
    # Touched by `heima worker` every round of its delivery loop; `heima worker-health` reads it.
    # Empty: heima-worker.heartbeat in the system's temporary directory.
    worker_heartbeat_file: str = ""
    # Data lifecycle (docs/operations.md): what the worker prunes, in batches of this many rows, each
    # batch a short transaction of its own. The access log is the patient's account of who saw their
    # record, so it lives as long as the record: kept for good (0) by default, since Heima deletes no
    # record; a records office that archives it elsewhere may prune after ACCESS_LOG_MIN_RETENTION_DAYS
    # or more. Push receipts answer "I never got it" and incident reviews: a year, or 0 for good.
    access_log_retention_days: int = 0
    push_attempt_retention_days: int = 365
    retention_batch_size: int = 1000
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = field(default=None, repr=False)
    # Video meetings (video/). TURN credentials (coturn's REST scheme) expire after this long; a
    # `stun:` entry in HEIMA_TURN_URLS is handed out as STUN, without credentials.
    turn_credential_ttl_seconds: int = 2 * 3600
    # A join ticket opens the signalling socket once, within these seconds.
    video_ticket_ttl_seconds: int = 30
    # Joining opens this long before a meeting starts and closes this long after it ends.
    video_join_early_minutes: int = 15
    video_join_late_minutes: int = 30
    video_meeting_default_minutes: int = 60
    # A dropped signalling socket that comes back within the grace keeps its place (no "left");
    # each process refreshes its peers' presence every heartbeat, and a peer whose process stopped
    # refreshing for three heartbeats is gone.
    video_reconnect_grace_seconds: int = 5
    video_heartbeat_seconds: int = 5
    video_max_message_bytes: int = 64 * 1024
    # What one signalling socket may send (video/connection.py), with bursts of four seconds' worth:
    # a full mesh's offers and candidates fit many times over; a peer flooding the others does not.
    video_sender_frames_per_second: int = 50
    video_sender_bytes_per_second: int = 128 * 1024
    # A full mesh: every peer sends its media to every other one, which phones bear up to six.
    video_max_peers: int = 6
    # The pre-call echo test (video/echo.py): concurrent tests per process (each one decodes and
    # re-encodes video), seconds each may run, and the non-public addresses or networks its ICE
    # candidates may name (none by default: only public addresses are advertised).
    echo_max_sessions: int = 4
    echo_max_seconds: int = 60
    echo_allowed_candidate_ips: tuple[str, ...] = ()
    # Where the built web apps are (one folder per app: family/, care/); unset: the folder the
    # build writes to beside the code (web/dist), or the one packed into the installed package.
    web_dir: str | None = None
    # OpenTelemetry tracing (backend/tracing.py): "" is off, else the exporter ("otlp", "console").
    # Read from the standard OTEL_* variables (traces_exporter_from_env), never from a HEIMA_ one.
    traces_exporter: str = ""

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
            if f.name in OTEL_SETTINGS:
                continue
            raw = environ.get(_env(f.name))
            if f.name in FILE_SETTINGS and environ.get(_env(f.name) + "_FILE"):
                if raw:
                    raise SettingsError(f"set {_env(f.name)} or {_env(f.name)}_FILE, not both")
                raw = _read_setting_file(f.name, environ[_env(f.name) + "_FILE"])
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, f.type, raw)
        values["traces_exporter"] = traces_exporter_from_env(environ)
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
        if self.traces_exporter not in ("", *TRACES_EXPORTERS):
            raise SettingsError(f"OTEL_TRACES_EXPORTER must be one of {', '.join(TRACES_EXPORTERS)} or none")
        if self.server not in SERVERS:
            raise SettingsError(f"{_env('server')} must be one of {', '.join(SERVERS)}, not {self.server!r}")
        try:
            parse_networks(self.trusted_proxies)
        except ValueError as exc:
            raise SettingsError(f"{_env('trusted_proxies')}: {exc}") from None
        try:
            Allowlist.of(self.push_allowed_hosts)
        except ValueError as exc:
            raise SettingsError(f"{_env('push_allowed_hosts')}: {exc}") from None
        if self.password_hash_queue < 0:
            raise SettingsError(f"{_env('password_hash_queue')} must be 0 or more")
        if self.db_pool_acquire_timeout_seconds < 1:
            raise SettingsError(f"{_env('db_pool_acquire_timeout_seconds')} must be at least 1")
        if self.workers < 0:
            raise SettingsError(f"{_env('workers')} must be 0 (the default) or more")
        for name, minimum in (
            ("access_log_retention_days", ACCESS_LOG_MIN_RETENTION_DAYS),
            ("push_attempt_retention_days", PUSH_ATTEMPT_MIN_RETENTION_DAYS),
        ):
            _check_retention(name, getattr(self, name), minimum)
        if self.retention_batch_size < 1:
            raise SettingsError(f"{_env('retention_batch_size')} must be at least 1")
        return self

    def as_env(self) -> dict[str, str]:
        """These settings as HEIMA_* variables (those that differ from the defaults), for a server's
        worker processes: `from_env` of them gives these settings back."""
        env = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in OTEL_SETTINGS or value is None or value == f.default:
                continue
            env[_env(f.name)] = ",".join(value) if isinstance(value, tuple) else str(value)
        return env

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

    def with_development_vapid(self) -> Settings:
        """Development without HEIMA_VAPID_PRIVATE_KEY: a Web Push key kept in the data directory
        beside the secret key, so `/push/public-key` answers in a demo and a browser's subscription
        survives a restart. Production sets its own (`heima vapid-keys`)."""
        if self.is_production or self.vapid_private_key:
            return self
        from alerting.push.vapid import new_key_pair

        path = Path(self.data_dir).resolve() / "vapid_private_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(new_key_pair()[0])
        return replace(
            self,
            vapid_private_key=path.read_text().strip(),
            vapid_subject=self.vapid_subject or DEVELOPMENT_VAPID_SUBJECT,
        )

    @property
    def worker_heartbeat_path(self) -> Path:
        return Path(self.worker_heartbeat_file or Path(tempfile.gettempdir()) / "heima-worker.heartbeat")

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
    heima = {_env(f.name) for f in fields(Settings) if f.name not in OTEL_SETTINGS}
    otel = {"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", *OTEL_ENDPOINT_VARIABLES}
    return frozenset(heima | otel | {_env(name) + "_FILE" for name in FILE_SETTINGS})
