"""Realistic load on Heima: parents of premature infants, COPD and home-dialysis patients, nurses.

    HEIMA_LOAD_CREDENTIALS=load-credentials.json HEIMA_LOAD_PACE=30 \\
        .venv/bin/locust -f tests/load/locustfile.py --headless -u 200 -r 20 -t 2m --host http://127.0.0.1:8000

Seed first (tests/load/seed.py); README.md here explains the whole run. Locust runs as its own
process (gevent monkey-patches the standard library), never imported by pytest or the service.

Time compression: every activity has a real-world frequency (a parent registers a feed every ~2-3
hours, a COPD patient once or twice a day, a nurse glances at the worklist every few minutes).
`--pace` (HEIMA_LOAD_PACE) divides the real waits, so one simulated user does the work of PACE real
users of its class and N simulated users stand for N x PACE real ones. Measured times stay "now":
the server refuses times more than 5 minutes ahead, so compression shows in how often, not when.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gevent
from gevent.lock import Semaphore
from geventhttpclient import HTTPClient
from locust import FastHttpUser, events, task
from locust.env import Environment
from locust.exception import StopUser

log = logging.getLogger("heima.load")

API = "/api/v1"
DAY = 86400.0
UPLOAD = "/patients/{id}/measurements"
# Refresh this long before the access token runs out, as a phone app would.
REFRESH_MARGIN_SECONDS = 60
# A simulated infant stops growing after this many simulated days: long runs at a high pace would
# otherwise grow babies to adult weights.
MAX_GROWTH_DAYS = 120


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument(
        "--credentials",
        env_var="HEIMA_LOAD_CREDENTIALS",
        default="load-credentials.json",
        help="the file tests/load/seed.py wrote",
    )
    parser.add_argument(
        "--pace",
        type=float,
        env_var="HEIMA_LOAD_PACE",
        default=30.0,
        help="time compression: one simulated user does the work of PACE real ones (default 30)",
    )
    parser.add_argument(
        "--breach",
        type=float,
        env_var="HEIMA_LOAD_BREACH",
        default=0.02,
        help="share of vital-sign registrations that breach a default rule and raise an alert",
    )
    parser.add_argument(
        "--tour",
        type=int,
        env_var="HEIMA_LOAD_TOUR",
        default=0,
        help="1: every user first does each of its activities once (smoke tests need full coverage)",
    )
    parser.add_argument(
        "--sse-seconds",
        type=float,
        env_var="HEIMA_LOAD_SSE_SECONDS",
        default=6.0,
        help="the longest a nurse's dashboard holds GET /alerts/stream open (wall-clock seconds)",
    )


# --- shared state of this locust process ----------------------------------------------------------


class Session:
    """One phone's or nurse's token pair. Users of one locust process that play the same person
    share it, so that a rotated refresh token is never used twice (the server would refuse it)."""

    def __init__(self, key: str, access: str, refresh: str, issued_at: float, expires_in: float) -> None:
        self.key, self.access, self.refresh = key, access, refresh
        self.issued_at, self.expires_in = issued_at, expires_in
        self.lock = Semaphore()
        self.rotated = False

    def due(self) -> bool:
        return time.time() - self.issued_at > self.expires_in - REFRESH_MARGIN_SECONDS

    def update(self, pair: dict[str, Any]) -> None:
        self.access, self.refresh = pair["access_token"], pair["refresh_token"]
        self.issued_at, self.expires_in = time.time(), float(pair["expires_in"])
        self.rotated = True


class Shared:
    def __init__(self, path: Path, data: dict[str, Any], options: Any) -> None:
        self.path = path
        self.data = data
        self.pace = max(float(options.pace), 1e-6)
        self.breach = float(options.breach)
        self.tour = bool(options.tour)
        self.sse_seconds = float(options.sse_seconds)
        self.reset_stats = bool(getattr(options, "reset_stats", False))
        self.seeded_at = datetime.fromisoformat(data["created_at"]).timestamp()
        self.sessions: dict[str, Session] = {}
        self.next_index: Counter[str] = Counter()
        self.per_class: Counter[str] = Counter()
        self.users: Counter[str] = Counter()
        self.items: Counter[str] = Counter()
        self.started = time.time()

    def session(self, entry: dict[str, Any]) -> Session:
        key = entry["key"]
        if key not in self.sessions:
            self.sessions[key] = Session(
                key,
                entry["access_token"],
                entry["refresh_token"],
                float(entry.get("issued_at", 0)),
                float(entry.get("expires_in", 900)),
            )
        return self.sessions[key]

    def pick(self, environment: Environment, kind: str) -> dict[str, Any]:
        """Round-robin over this process's share of the seeded people of a kind. With --processes
        every worker takes a disjoint slice, so no two processes play the same phone."""
        pool = self.data[kind]
        runner = environment.runner
        workers = getattr(environment.parsed_options, "processes", 0) or int(os.environ.get("HEIMA_LOAD_WORKERS", "1"))
        index = max(getattr(runner, "worker_index", 0), 0)
        if type(runner).__name__ == "WorkerRunner" and workers > 1 and len(pool) >= workers:
            pool = pool[index % workers :: workers]
        if not pool:
            raise StopUser()
        entry = pool[self.next_index[kind] % len(pool)]
        self.next_index[kind] += 1
        return entry

    def save_rotated(self) -> None:
        """Write rotated phone tokens back, so the next run with this file can still refresh."""
        rotated = {s.key: s for s in self.sessions.values() if s.rotated}
        if not rotated:
            return
        with open(self.path.with_name(self.path.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # other locust processes write their slice too
            data = json.loads(self.path.read_text())
            for kind in ("families", "copd", "dialysis"):
                for entry in data[kind]:
                    if session := rotated.get(entry["key"]):
                        entry.update(
                            access_token=session.access,
                            refresh_token=session.refresh,
                            issued_at=session.issued_at,
                            expires_in=session.expires_in,
                        )
            tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(data, out, indent=1)
            os.replace(tmp, self.path)


SHARED: Shared | None = None


@events.init.add_listener
def _load_credentials(environment: Environment, **_: Any) -> None:
    global SHARED
    options = environment.parsed_options
    if options is None or type(environment.runner).__name__ == "MasterRunner":
        return  # the master of --processes runs no users
    path = Path(options.credentials)
    if not path.exists():
        raise SystemExit(f"no credentials file {path}: run tests/load/seed.py first (see tests/load/README.md)")
    SHARED = Shared(path, json.loads(path.read_text()), options)


@events.spawning_complete.add_listener
def _steady(**_: Any) -> None:
    # With --reset-stats locust forgets the ramp-up; so does the per-class tally.
    if SHARED is not None and SHARED.reset_stats:
        SHARED.per_class.clear()
        SHARED.items.clear()
        SHARED.started = time.time()


@events.request.add_listener
def _count(context: dict[str, Any] | None = None, **_: Any) -> None:
    if SHARED is not None and context and "user_class" in context:
        SHARED.per_class[context["user_class"]] += 1


@events.test_stop.add_listener
def _report(environment: Environment, **_: Any) -> None:
    if SHARED is None:
        return
    seconds = max(time.time() - SHARED.started, 1e-9)
    print(f"heima load: pace {SHARED.pace:g}, {seconds:.0f} s in this process; requests by user class:")
    for name in sorted(set(SHARED.per_class) | set(SHARED.users)):
        count, n = SHARED.per_class[name], SHARED.users[name]
        per_user = f"{count / seconds / n:.3f}" if n else "-"
        print(f"  {name:<18} users {n:>5}  requests {count:>7}  {count / seconds:8.1f}/s  {per_user}/s per user")
    print(f"  upload items: {dict(SHARED.items)}")
    SHARED.save_rotated()


def shared() -> Shared:
    if SHARED is None:
        raise StopUser()
    return SHARED


# --- helpers ------------------------------------------------------------------------------------------


def now(ago_seconds: float = 0) -> str:
    # The machine's clock is the server's here; against a remote service keep both on NTP.
    return (datetime.now(UTC) - timedelta(seconds=ago_seconds)).isoformat()


def item(type_: str, value: Any, unit: str, ago_seconds: float = 0, **extra: Any) -> dict[str, Any]:
    out = {"id": str(uuid.uuid4()), "type": type_, "value": value, "unit": unit, "measured_at": now(ago_seconds)}
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def paced(real_seconds: float) -> Callable[[Any], float]:
    """A wait of `real_seconds` on average (0.5x to 1.5x), compressed by the pace."""

    def wait(user: Any) -> float:
        return random.uniform(0.5, 1.5) * real_seconds / shared().pace

    return wait


def mean_interval(per_day: dict[str, float]) -> float:
    return DAY / sum(per_day.values())


def breach() -> bool:
    return random.random() < shared().breach


# --- the base user -------------------------------------------------------------------------------------


class HeimaUser(FastHttpUser):
    abstract = True
    session: Session
    # Uploads of a day's backlog take longer than a page view; nothing should take a minute.
    network_timeout = 30.0
    connection_timeout = 10.0
    # Servers close keep-alive connections left idle (uvicorn after 5 s); a request that
    # meets the close is retried once, as browsers and phone HTTP stacks do. geventhttpclient
    # retries only idempotent methods (RFC 9110), so no POST is ever sent twice by this.
    max_retries = 1

    def context(self) -> dict[str, Any]:
        return {"user_class": type(self).__name__}

    def refresh_session(self, stale: str) -> bool:
        session = self.session
        with session.lock:
            if session.access != stale:
                return True  # another user of this person refreshed while we waited
            body = {"refresh_token": session.refresh}
            with self.client.post(f"{API}/auth/refresh", json=body, name="/auth/refresh", catch_response=True) as r:
                if r.status_code == 200:
                    session.update(r.json())
                    r.success()
                    return True
                r.failure(f"refresh answered {r.status_code}: {r.text[:200]}")
                return False

    def api(
        self,
        method: str,
        path: str,
        name: str,
        *,
        body: Any = None,
        ok: tuple[int, ...] = (200,),
        check: Callable[[Any], str | None] | None = None,
    ) -> Any:
        """One request, checked: the status must be in `ok` and `check` (if given) must find nothing
        wrong in the JSON answer. An expired token is refreshed and the request sent once more."""
        if self.session.due():
            self.refresh_session(self.session.access)
        for attempt in (1, 2):
            token = self.session.access
            headers = {"Authorization": f"Bearer {token}"}
            with self.client.request(
                method, API + path, name=name, json=body, headers=headers, catch_response=True
            ) as r:
                if r.status_code == 401 and attempt == 1:
                    # Tokens expire (15 min): the phone refreshes and resends. Counted apart, not as
                    # a failure; a second 401 after a successful refresh is one.
                    r.request_meta["name"] = f"{name} [401 token expired]"
                    r.success()
                else:
                    return self.judge(r, ok, check)
            if not self.after_401(token):
                return None
        return None

    def after_401(self, stale: str) -> bool:
        return self.refresh_session(stale)

    @staticmethod
    def judge(r: Any, ok: tuple[int, ...], check: Callable[[Any], str | None] | None) -> Any:
        if r.status_code == 0:
            r.failure(f"no answer: {getattr(r, 'error', None)!r}")
            return None
        if r.status_code not in ok:
            r.failure(f"{r.status_code} (expected {ok}): {(r.text or '')[:300]}")
            return None
        try:
            data = r.json() if r.text else None
        except ValueError:
            r.failure("the answer is not JSON")
            return None
        if check is not None:
            try:
                problem = check(data)
            except (KeyError, TypeError, AttributeError) as exc:
                problem = f"unexpected answer shape ({exc!r}): {(r.text or '')[:200]}"
            if problem:
                r.failure(problem)
                return None
        r.success()
        return data if data is not None else {}

    def upload(self, patient_id: str, items: list[dict[str, Any]], *, kind: str = "", resend: bool = False) -> Any:
        """POST measurements; every item must come back `created` or `duplicate` (a resend of a
        batch the phone already sent must be all `duplicate`, and changes nothing)."""
        ids = [m["id"] for m in items]
        allowed = {"duplicate"} if resend else {"created", "duplicate"}

        def check(data: dict[str, Any]) -> str | None:
            results = data["results"]
            if [r["id"] for r in results] != ids:
                return "the results do not answer the items one by one"
            bad = [r for r in results if r["status"] not in allowed]
            if bad:
                return f"{len(bad)}/{len(ids)} items {bad[0]['status']}: {bad[0].get('errors')}"
            shared().items.update(r["status"] for r in results)
            return None

        name = f"{UPLOAD} [{kind}]" if kind else UPLOAD
        return self.api("POST", f"/patients/{patient_id}/measurements", name, body={"measurements": items}, check=check)

    def read_measurements(self, patient_id: str, limit: int = 20) -> None:
        self.api(
            "GET",
            f"/patients/{patient_id}/measurements?limit={limit}",
            UPLOAD,
            check=lambda d: None if isinstance(d["items"], list) else "no items",
        )

    def read_own_alerts(self, patient_id: str) -> None:
        self.api(
            "GET",
            f"/patients/{patient_id}/alerts",
            "/patients/{id}/alerts",
            check=lambda d: None if isinstance(d["items"], list) else "no items",
        )

    def contact(self, patient_id: str, message: str) -> None:
        body = {"id": str(uuid.uuid4()), "message": message}
        self.api(
            "POST",
            f"/patients/{patient_id}/contact-requests",
            "/patients/{id}/contact-requests",
            body=body,
            ok=(201,),
            check=lambda d: None if d["id"] == body["id"] else "another request came back",
        )

    def forms(self, patient_id: str) -> dict[str, dict[str, Any]]:
        """The patient's forms by code. Phones cache them and look again now and then."""
        cache: dict[str, dict[str, dict[str, Any]]] = self.__dict__.setdefault("_forms", {})
        if patient_id not in cache or random.random() < 0.1:
            data = self.api(
                "GET",
                f"/patients/{patient_id}/forms",
                "/patients/{id}/forms",
                check=lambda d: None if d["items"] else "no forms",
            )
            if data:
                cache[patient_id] = {f["code"]: f for f in data["items"]}
        return cache.get(patient_id, {})

    def answer(self, patient_id: str, code: str, overrides: dict[str, Any] | None = None) -> None:
        form = self.forms(patient_id).get(code)
        if form is None:
            return
        body = {
            "id": str(uuid.uuid4()),
            "form": code,
            "version": form["version"],
            "authored_at": now(),
            "answers": answers_for(form, overrides or {}),
        }
        self.api(
            "POST",
            f"/patients/{patient_id}/form-responses",
            "/patients/{id}/form-responses",
            body=body,
            ok=(201,),
            check=lambda d: None if d["id"] == body["id"] else "another response came back",
        )

    def on_start(self) -> None:
        shared().users[type(self).__name__] += 1
        self.begin()
        if shared().tour:
            for activity in self.tour():
                activity()

    def begin(self) -> None:
        raise NotImplementedError

    def tour(self) -> list[Callable[[], None]]:
        raise NotImplementedError


# Answers a calm patient gives, by link_id; anything else gets the form's own bounds' low end, the
# first option, or "no". Values stay inside the default rules, so alerts come from `breach()` only.
CALM: dict[str, Callable[[], Any]] = {
    "wet_nappies": lambda: random.randint(5, 8),
    "temperature": lambda: round(random.uniform(36.6, 37.3), 1),
    "vomit_colour": lambda: random.choice(["none", "none", "none", "milky"]),
    "spo2": lambda: random.randint(96, 98),
    "heart_rate": lambda: random.randint(62, 88),
    "effluent": lambda: "clear",
    "net_uf": lambda: random.randint(400, 1200),
    "worried": lambda: True,
}


def answers_for(form: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for spec in form["items"]:
        link = spec["link_id"]
        if link in overrides:
            if overrides[link] is not None:
                answers[link] = overrides[link]
        elif link in CALM:
            answers[link] = CALM[link]()
        elif spec["type"] == "boolean":
            answers[link] = False
        elif spec["type"] == "integer":
            low, high = int(spec.get("min", 0)), int(spec.get("max", 5))
            answers[link] = random.randint(low, min(high, low + 2))
        elif spec["type"] == "decimal":
            answers[link] = float(spec.get("min", 0))
        elif spec["type"] == "choice":
            answers[link] = spec["options"][0]["code"]
        elif spec["required"]:
            answers[link] = "ok"
    return answers


# --- parents of premature infants at home ----------------------------------------------------------

# Per infant and real day: 8-12 feeds, one weight, a couple of temperatures, the nappies, a look at
# the app, the daily check form; about one day in ten the phone was offline and sends a backlog.
PARENT_PER_DAY = {
    "feed": 10,
    "weight": 1,
    "temperature": 2,
    "nappies": 1,
    "read_measurements": 2,
    "read_alerts": 1,
    "daily_form": 1,
    "offline_backlog": 0.3,
    "contact": 0.1,
}


class PrematureParent(HeimaUser):
    """A parent registering for one infant or for twins (one phone, both children)."""

    weight = 30
    wait_time = paced(mean_interval(PARENT_PER_DAY))

    def begin(self) -> None:
        self.family = shared().pick(self.environment, "families")
        self.session = shared().session(self.family)
        self.infants = self.family["infants"]
        me = self.api("GET", "/me", "/me", check=lambda d: None if d["role"] == "guardian" else "not a guardian")
        if me and set(me["patient_ids"]) != {i["patient_id"] for i in self.infants}:
            log.warning("family %s: /me lists %s", self.family["key"], me["patient_ids"])

    def tour(self) -> list[Callable[[], None]]:
        return [
            self.feed,
            self.weigh,
            lambda: self.temperature(force_fever=True),
            self.nappies,
            lambda: self.offline_backlog(resend=True),
            self.daily_form,
            self.read_measurements_task,
            self.read_alerts_task,
            self.contact_task,
        ]

    def body_weight_g(self, infant: dict[str, Any]) -> float:
        # Growing ~25 g per simulated day since seeding, the same curve for every user of this family.
        days = min((time.time() - shared().seeded_at) * shared().pace / DAY, MAX_GROWTH_DAYS)
        return infant["birth_weight_g"] + 300 + 25 * days

    def feed_volume(self, infant: dict[str, Any]) -> float:
        per_feed = self.body_weight_g(infant) / 1000 * infant["prescribed_ml_per_kg_day"] / 10
        return round(per_feed * random.uniform(0.85, 1.1))

    @task(100)
    def feed(self) -> None:
        route = random.choices(["tube", "bottle", "breast"], weights=[6, 3, 1])[0]
        for infant in self.infants:
            feed = item("feeding_volume", self.feed_volume(infant), "mL", attributes={"route": route})
            self.upload(infant["patient_id"], [feed])

    @task(10)
    def weigh(self) -> None:
        for infant in self.infants:
            grams = round(self.body_weight_g(infant))
            # Some scales show kilograms: equivalent units convert on the server.
            weight = item("body_weight", round(grams / 1000, 3), "kg") if random.random() < 0.2 else None
            self.upload(infant["patient_id"], [weight or item("body_weight", grams, "g")])

    @task(20)
    def temperature(self, force_fever: bool = False) -> None:
        for infant in self.infants:
            fever = force_fever or breach()
            value = round(random.uniform(38.1, 38.6), 1) if fever else round(random.uniform(36.6, 37.3), 1)
            self.upload(infant["patient_id"], [item("body_temperature", value, "Cel", attributes={"site": "axillary"})])

    @task(10)
    def nappies(self) -> None:
        for infant in self.infants:
            self.upload(
                infant["patient_id"],
                [item("wet_nappies", random.randint(5, 8), "{count}"), item("stools", random.randint(0, 3), "{count}")],
            )

    @task(3)
    def offline_backlog(self, resend: bool | None = None) -> None:
        """Back in coverage after hours offline: the queue goes up in one request per child. A
        third of the time the answer is lost and the phone sends the same batch again."""
        hours = random.randint(6, 48)
        for infant in self.infants:
            batch = []
            for k in range(round(hours / 2.4)):
                ago = hours * 3600 - k * 2.4 * 3600
                route = {"route": random.choice(["tube", "bottle"])}
                batch.append(item("feeding_volume", self.feed_volume(infant), "mL", ago, attributes=route))
                if k % 4 == 0:
                    temp = round(random.uniform(36.6, 37.3), 1)
                    batch.append(item("body_temperature", temp, "Cel", ago - 60, attributes={"site": "axillary"}))
                if k % 3 == 1:
                    batch.append(item("wet_nappies", random.randint(1, 3), "{count}", ago - 120))
            self.upload(infant["patient_id"], batch, kind="offline batch")
            if resend or (resend is None and random.random() < 1 / 3):
                self.upload(infant["patient_id"], batch, kind="resent batch", resend=True)

    @task(10)
    def daily_form(self) -> None:
        for infant in self.infants:
            self.answer(infant["patient_id"], "premature-daily")

    @task(20)
    def read_measurements_task(self) -> None:
        self.read_measurements(random.choice(self.infants)["patient_id"])

    @task(10)
    def read_alerts_task(self) -> None:
        self.read_own_alerts(random.choice(self.infants)["patient_id"])

    @task(1)
    def contact_task(self) -> None:
        self.contact(random.choice(self.infants)["patient_id"], "Kan dere ringe meg om sonden?")


# --- COPD ------------------------------------------------------------------------------------------------

COPD_PER_DAY = {"vitals": 1.5, "symptom_form": 1, "weekly_form": 1 / 7, "read": 0.5, "alerts": 0.3, "contact": 0.03}


class CopdPatient(HeimaUser):
    weight = 40
    wait_time = paced(mean_interval(COPD_PER_DAY))

    def begin(self) -> None:
        self.patient = shared().pick(self.environment, "copd")
        self.session = shared().session(self.patient)
        self.patient_id = self.patient["patient_id"]
        self.api("GET", "/me", "/me", check=lambda d: None if d["role"] == "patient" else "not a patient")

    def tour(self) -> list[Callable[[], None]]:
        return [self.vitals, self.symptom_form, self.weekly_form, self.read, self.alerts]

    def spo2(self) -> int:
        if self.patient.get("spo2_scale") == 2:
            return random.randint(84, 85) if breach() else random.randint(88, 92)
        return random.randint(91, 92) if breach() else random.randint(96, 98)

    @task(150)
    def vitals(self) -> None:
        self.upload(
            self.patient_id,
            [
                item("spo2", self.spo2(), "%", attributes={"on_oxygen": False}),
                item("heart_rate", random.randint(62, 88), "/min"),
                item("body_temperature", round(random.uniform(36.4, 37.4), 1), "Cel"),
            ],
        )

    @task(100)
    def symptom_form(self) -> None:
        self.answer(self.patient_id, "copd-symptom-diary", {"spo2": self.spo2()})

    @task(14)
    def weekly_form(self) -> None:
        self.answer(self.patient_id, "copd-weekly-wellbeing")

    @task(50)
    def read(self) -> None:
        self.read_measurements(self.patient_id)

    @task(30)
    def alerts(self) -> None:
        self.read_own_alerts(self.patient_id)

    @task(3)
    def contact_task(self) -> None:
        self.contact(self.patient_id, "Jeg er tyngre i pusten enn vanlig.")


# --- home dialysis (peritoneal) ------------------------------------------------------------------------

DIALYSIS_PER_DAY = {
    "session": 0.6,
    "session_form": 0.4,
    "blood_pressure": 1,
    "temperature": 0.2,
    "read": 0.5,
    "alerts": 0.2,
    "contact": 0.02,
}


class DialysisPatient(HeimaUser):
    weight = 25
    wait_time = paced(mean_interval(DIALYSIS_PER_DAY))

    def begin(self) -> None:
        self.patient = shared().pick(self.environment, "dialysis")
        self.session = shared().session(self.patient)
        self.patient_id = self.patient["patient_id"]
        self.api("GET", "/me", "/me", check=lambda d: None if d["role"] == "patient" else "not a patient")

    def tour(self) -> list[Callable[[], None]]:
        return [self.session_registration, self.session_form, self.blood_pressure, self.read]

    def blood_pressure_item(self) -> dict[str, Any]:
        systolic = random.randint(182, 190) if breach() else random.randint(118, 150)
        components = {"systolic": systolic, "diastolic": random.randint(68, 92)}
        return item("blood_pressure", None, "mm[Hg]", components=components)

    def body_weight_kg(self) -> float:
        return round(self.patient["dry_weight_kg"] + random.uniform(0.2, 1.0), 1)

    @task(60)
    def session_registration(self) -> None:
        effluent = "cloudy" if breach() else "clear"
        self.upload(
            self.patient_id,
            [
                item("body_weight", self.body_weight_kg(), "kg"),
                self.blood_pressure_item(),
                item("ultrafiltration_volume", random.randint(400, 1200), "mL"),
                item("effluent_appearance", effluent, "1"),
            ],
        )

    @task(40)
    def session_form(self) -> None:
        self.answer(self.patient_id, "pd-session", {"weight": self.body_weight_kg()})

    @task(100)
    def blood_pressure(self) -> None:
        self.upload(self.patient_id, [self.blood_pressure_item()])

    @task(20)
    def temperature(self) -> None:
        self.upload(self.patient_id, [item("body_temperature", round(random.uniform(36.4, 37.4), 1), "Cel")])

    @task(50)
    def read(self) -> None:
        self.read_measurements(self.patient_id)

    @task(20)
    def alerts(self) -> None:
        self.read_own_alerts(self.patient_id)

    @task(2)
    def contact_task(self) -> None:
        self.contact(self.patient_id, "Posen var litt uklar i dag, bør jeg komme inn?")


# --- nurses ------------------------------------------------------------------------------------------------

# Per real hour on shift: the worklist every five minutes (the dashboard streams, and re-reads on
# every event), a patient opened every quarter, alerts handled, a video consultation now and then.
CLINICIAN_PER_HOUR = {"worklist": 12, "open_patient": 4, "handle_alert": 2, "stream": 1, "meeting": 0.25}
WORKLIST = "/alerts?status=open&unit_id={id}"


class Clinician(HeimaUser):
    weight = 3
    wait_time = paced(3600 / sum(CLINICIAN_PER_HOUR.values()))

    def begin(self) -> None:
        self.nurse = shared().pick(self.environment, "clinicians")
        self.unit_id = shared().data["units"][self.nurse["unit"]]
        self.login()
        data = self.api(
            "GET",
            f"/patients?unit_id={self.unit_id}",
            "/patients?unit_id={id}",
            check=lambda d: None if d["items"] else "the unit has no patients",
        )
        self.patient_ids = [p["id"] for p in data["items"]] if data else []

    def login(self) -> None:
        body = {"username": self.nurse["username"], "password": self.nurse["password"]}
        with self.client.post(f"{API}/auth/login", json=body, name="/auth/login", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"login answered {r.status_code}: {r.text[:200]}")
                raise StopUser()
            pair = r.json()
            r.success()
        # A nurse's sign-in is this user's own: not shared, so not in SHARED.sessions.
        self.session = Session(self.nurse["username"], "", "", 0, 0)
        self.session.update(pair)

    def after_401(self, stale: str) -> bool:
        if self.refresh_session(stale):
            return True
        self.login()
        return True

    def tour(self) -> list[Callable[[], None]]:
        return [self.worklist, self.open_patient, self.stream, lambda: self.handle_alert(wait=True), self.meeting]

    def read_worklist(self) -> list[dict[str, Any]]:
        def check(d: dict[str, Any]) -> str | None:
            wrong = [a for a in d["items"] if a["status"] != "open"]
            return f"{len(wrong)} alerts not open in the open worklist" if wrong else None

        data = self.api("GET", f"/alerts?status=open&unit_id={self.unit_id}", WORKLIST, check=check)
        return data["items"] if data else []

    @task(120)
    def worklist(self) -> None:
        self.read_worklist()

    @task(40)
    def open_patient(self, patient_id: str | None = None) -> None:
        if not self.patient_ids:
            return
        patient_id = patient_id or random.choice(self.patient_ids)
        self.api(
            "GET",
            f"/patients/{patient_id}",
            "/patients/{id}",
            check=lambda d: None if d["id"] == patient_id else "another patient",
        )
        self.read_measurements(patient_id, limit=50)
        self.api("GET", f"/alerts?patient_id={patient_id}", "/alerts?patient_id={id}")

    @task(20)
    def handle_alert(self, wait: bool = False) -> None:
        """Take the top alert of the worklist: look at the patient, acknowledge, resolve."""
        alerts = self.read_worklist()
        # In a tour, give the parents' first fever a few seconds to arrive (bounded).
        deadline = time.monotonic() + 5
        while wait and not alerts and time.monotonic() < deadline:
            gevent.sleep(0.25)
            alerts = self.read_worklist()
        if not alerts:
            return
        alert = alerts[0]
        self.open_patient(alert["patient_id"])
        self.api(
            "POST",
            f"/alerts/{alert['id']}/acknowledge",
            "/alerts/{id}/acknowledge",
            check=lambda d: None if d["status"] in ("acknowledged", "resolved") else f"status {d['status']}",
        )
        self.api(
            "POST",
            f"/alerts/{alert['id']}/resolve",
            "/alerts/{id}/resolve",
            body={"note": "Ringt foreldre/pasient, følges opp. (load test)"},
            check=lambda d: None if d["status"] == "resolved" else f"status {d['status']}",
        )

    @task(10)
    def stream(self) -> None:
        """The dashboard's live feed: open GET /alerts/stream, re-read the worklist on every alert
        event, close after a few seconds. A separate client, so the stream's half-read socket never
        goes back to the pool the other requests use."""
        hold = random.uniform(0.5, 1.0) * shared().sse_seconds
        if shared().tour:
            hold = min(hold, 2.0)
        if self.session.due():
            self.refresh_session(self.session.access)
        url = urlsplit(self.host)
        client = HTTPClient(
            url.hostname or "127.0.0.1",
            url.port or (443 if url.scheme == "https" else 80),
            ssl=url.scheme == "https",
            insecure=True,
            connection_timeout=10,
            network_timeout=30,
        )
        started, began_at = time.perf_counter(), time.time()
        events_seen, received, opened_ms = 0, 0, None
        exception: Exception | None = None
        try:
            response = client.get(
                f"{API}/alerts/stream",
                headers={"Authorization": f"Bearer {self.session.access}", "Accept": "text/event-stream"},
            )
            if response.status_code != 200:
                raise RuntimeError(f"stream answered {response.status_code}")
            frame: list[bytes] = []
            with gevent.Timeout(hold, False):
                while True:
                    # Line by line: read(n) would wait for n bytes, and events are short.
                    line = response.readline(b"\n")
                    if not line:
                        raise RuntimeError("the server closed the stream")
                    received += len(line)
                    if opened_ms is None and b"heima alerts" in line:
                        opened_ms = (time.perf_counter() - started) * 1000
                    if line.strip():
                        frame.append(line)
                        continue
                    if any(f.startswith(b"event: alert") for f in frame):
                        events_seen += 1
                        self.read_worklist()
                    frame = []
            if opened_ms is None:
                raise RuntimeError(f"no opening comment within {hold:.1f} s")
        except (OSError, RuntimeError, gevent.Timeout) as exc:
            exception = exc
        finally:
            client.close()
        self.environment.events.request.fire(
            request_type="GET",
            name="/alerts/stream",
            # Time to the opening comment: the moment the dashboard is live.
            response_time=opened_ms if opened_ms is not None else (time.perf_counter() - started) * 1000,
            response_length=received,
            response=None,
            context={**self.context(), "events": events_seen},
            exception=exception,
            start_time=began_at,
            url=f"{self.host}{API}/alerts/stream",
        )

    @task(3)
    def meeting(self) -> None:
        """Plan a video consultation with a patient of the unit and join it as host. The signalling
        WebSocket is left out: the relay has its own benchmark (tests/bench/bench_signalling.py)."""
        if not self.patient_ids:
            return
        body = {
            "patient_id": random.choice(self.patient_ids),
            "kind": "consultation",
            "title": "Videokonsultasjon (load test)",
            "starts_at": now(),
        }
        meeting = self.api("POST", "/meetings", "/meetings", body=body, ok=(200, 201))
        if not meeting:
            return
        self.api(
            "POST",
            f"/meetings/{meeting['id']}/join",
            "/meetings/{id}/join",
            check=lambda d: None if d["ticket"] and d["signalling_url"] else "no ticket",
        )
