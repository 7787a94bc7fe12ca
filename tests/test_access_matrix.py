"""Every route of the app × every kind of actor, against expectations written here.

The expected answer of each (route, actor, target) is decided by the table below from the world's
facts (`World.sees`), independently of the production guard. A route of the app that the table
does not know fails the test, so a new route cannot ship without a declared and tested rule.
Each allowed or denied access to a patient must leave exactly one access-log row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.exceptions import ImproperlyConfiguredException, WebSocketDisconnect

from backend.app import check_access_declared, routes_and_handlers
from tests.alerting.push.support import browser_keys
from tests.helpers import (
    API,
    INFANT,
    Actor,
    World,
    activate,
    activation_code,
    build_world,
    expect,
    make_clinician,
    me,
)

MISSING = "missing"  # a patient id that does not exist
COPD_DIARY_ITEMS = ("more_breathless", "sputum_colour_changed", "sputum_volume_increased", "new_confusion")


@dataclass
class Case:
    """One route: how to call it and what each actor should get."""

    method: str
    path: str  # the app's route template
    expected: Callable[[World, Actor, str | None], int]
    body: Callable[[World, Actor, str | None], Any] | None = None
    patient_route: bool = False  # the path names a patient: test each target, log each access
    meeting_route: bool = False  # the path names a meeting of each target patient (or a missing one)
    query: dict[str, str] | None = None  # e.g. a stream's short-lived mode: the matrix reads only its status


def public(status: int) -> Callable[[World, Actor, str | None], int]:
    return lambda world, actor, target: status


def signed_in(status: int) -> Callable[[World, Actor, str | None], int]:
    return lambda world, actor, target: 401 if actor.role is None else status


def only(role: str, status: int) -> Callable[[World, Actor, str | None], int]:
    def rule(world: World, actor: Actor, target: str | None) -> int:
        if actor.role is None:
            return 401
        return status if actor.role == role else 403

    return rule


def patient_data(status: int, clinicians_only: bool = False) -> Callable[[World, Actor, str | None], int]:
    """Visible patient → status (or 403 when the function is for clinicians only); else 404."""

    def rule(world: World, actor: Actor, target: str | None) -> int:
        if actor.role is None:
            return 401
        if target is None or not world.sees(actor, target):
            return 404
        if clinicians_only and actor.role != "clinician":
            return 403
        return status

    return rule


def register_patient(world: World, actor: Actor, target: str | None) -> int:
    if actor.role is None:
        return 401
    if actor.role != "clinician":
        return 403
    return 201 if actor is world.clin_u1 else 422  # the body names U1: not clin_u2's unit


def care(status: int) -> Callable[[World, Actor, str | None], int]:
    """The people of care (clinicians, patients, guardians); never administrators."""

    def rule(world: World, actor: Actor, target: str | None) -> int:
        if actor.role is None:
            return 401
        return 403 if actor.role == "admin" else status

    return rule


def staff_of_u1(status: int) -> Callable[[World, Actor, str | None], int]:
    """Unit U1's staff: its clinicians and the administrators; a clinician of another unit gets the
    404 of a unit that does not exist; patients and guardians 403."""

    def rule(world: World, actor: Actor, target: str | None) -> int:
        if actor.role is None:
            return 401
        if actor.role in ("patient", "guardian"):
            return 403
        return status if actor is world.clin_u1 or actor.role == "admin" else 404

    return rule


def meeting_of_patient(status: int) -> Callable[[World, Actor, str | None], int]:
    """A meeting of the target patient: its people see it (in this world every clinician who sees
    a patient also takes part in its meeting); anyone else gets the 404 of a missing meeting."""

    def rule(world: World, actor: Actor, target: str | None) -> int:
        if actor.role is None:
            return 401
        if actor.role == "admin":
            return 403
        return status if target is not None and world.sees(actor, target) else 404

    return rule


def signal_socket(world: World, actor: Actor, target: str | None) -> int:
    """200: welcomed (a participant, with a ticket); 4401: refused (no ticket to be had)."""
    return 200 if actor.role not in (None, "admin") and target is not None and world.sees(actor, target) else 4401


def alert_of_twin_a(status: int) -> Callable[[World, Actor, str | None], int]:
    """An alert of twin A (raised by its contact request): the clinicians of its unit act on it;
    other clinicians get the 404 of a missing alert; nobody else has a worklist."""

    def rule(world: World, actor: Actor, target: str | None) -> int:
        if actor.role is None:
            return 401
        if actor.role != "clinician":
            return 403
        return status if world.sees(actor, world.twin_a) else 404

    return rule


def clinicians_of_u1(status: int) -> Callable[[World, Actor, str | None], int]:
    """Unit U1's own view: its clinicians; a clinician of another unit gets the 404 of a unit that
    does not exist; nobody else has one."""

    def rule(world: World, actor: Actor, target: str | None) -> int:
        if actor.role is None:
            return 401
        if actor.role != "clinician":
            return 403
        return status if actor is world.clin_u1 else 404

    return rule


def family(status: int) -> Callable[[World, Actor, str | None], int]:
    """Patients and guardians, for their own account; staff get 403."""

    def rule(world: World, actor: Actor, target: str | None) -> int:
        if actor.role is None:
            return 401
        return status if actor.role in ("patient", "guardian") else 403

    return rule


def own_unit(world: World, actor: Actor) -> str:
    return world.unit_u2 if actor is world.clin_u2 else world.unit_u1


CASES = [
    Case("GET", "/health/live", public(200)),
    Case("GET", "/health/ready", public(200)),
    Case("GET", "/metrics", public(200)),
    Case("GET", "/openapi.json", public(200)),
    Case("GET", "/docs", public(200)),
    Case("GET", "/docs/openapi.json", public(200)),
    Case("GET", "/openapi/signalling.json", public(200)),
    Case("GET", "/docs/{path:str}", public(404)),  # Litestar's catch-all for other doc UIs: none enabled
    Case("GET", "/docs/assets/{file_path:path}", public(200)),
    Case("HEAD", "/docs/assets/{file_path:path}", public(200)),
    # The web apps (backend/webapps.py): built files, single-page routes, and /app → /app/.
    Case("GET", "/app", public(200)),  # after its redirect to /app/
    Case("GET", "/app/{file_path:path}", public(200)),
    Case("GET", "/care", public(200)),
    Case("GET", "/care/{file_path:path}", public(200)),
    # Public sign-in routes: a token changes nothing; an invalid body is refused for everyone alike.
    Case("POST", f"{API}/auth/login", public(422), body=lambda w, a, t: {"username": ""}),
    Case("POST", f"{API}/auth/activate", public(422), body=lambda w, a, t: {"code": 7}),
    Case("POST", f"{API}/auth/refresh", public(401), body=lambda w, a, t: {"refresh_token": "heima_rt_x"}),
    Case("GET", f"{API}/me", signed_in(200)),
    # One's own account: a device code for a new phone (patients and guardians), a guardian code
    # for another child (guardians; this one is wrong), the sessions, and ending one (not theirs).
    Case("POST", f"{API}/me/device-codes", family(201)),
    Case("POST", f"{API}/me/guardianships", only("guardian", 422), body=lambda w, a, t: {"code": "AAAA-BBBB-CCCC"}),
    Case("GET", f"{API}/me/sessions", signed_in(200)),
    Case("DELETE", f"{API}/me/sessions/{{session_id:uuid}}", signed_in(404)),
    Case("GET", f"{API}/programmes", signed_in(200)),
    Case(
        "POST",
        f"{API}/organisations",
        only("admin", 201),
        body=lambda w, a, t: {"name": f"Org {uuid.uuid4()}", "kind": "municipality"},
    ),
    Case("GET", f"{API}/organisations", only("admin", 200)),
    Case(
        "POST",
        f"{API}/organisations/{{organisation_id:uuid}}/units",
        only("admin", 201),
        body=lambda w, a, t: {"name": f"Unit {uuid.uuid4()}"},
    ),
    Case("GET", f"{API}/organisations/{{organisation_id:uuid}}/units", only("admin", 200)),
    Case(
        "POST",
        f"{API}/users",
        only("admin", 201),
        body=lambda w, a, t: {
            "username": f"u{uuid.uuid4().hex[:10]}",
            "password": "long enough password",
            "display_name": "New nurse",
            "role": "clinician",
            "profession": "nurse",
            "unit_ids": [w.unit_u1],
        },
    ),
    Case("GET", f"{API}/users", only("admin", 200)),
    # An admin changes a clinician's account (here: keeps it enabled, so nothing changes).
    Case("PATCH", f"{API}/users/{{user_id:uuid}}", only("admin", 200), body=lambda w, a, t: {"disabled": False}),
    Case("GET", f"{API}/me/units", signed_in(200)),
    Case("GET", f"{API}/colleagues", only("clinician", 200)),
    Case(
        "POST",
        f"{API}/patients",
        register_patient,
        body=lambda w, a, t: {"display_name": "New patient", "birth_date": "2026-11-01", "unit_id": w.unit_u1},
    ),
    Case("GET", f"{API}/patients", only("clinician", 200)),
    Case("GET", f"{API}/patients/{{patient_id:uuid}}", patient_data(200), patient_route=True),
    Case("GET", f"{API}/patients/{{patient_id:uuid}}/access-log", patient_data(200), patient_route=True),
    Case(
        "POST",
        f"{API}/patients/{{patient_id:uuid}}/enrolments",
        patient_data(201, clinicians_only=True),
        body=lambda w, a, t: {
            "programme": "home-dialysis",
            "unit_id": own_unit(w, a),
            "parameters": {"dry_weight_kg": 70},
        },
        patient_route=True,
    ),
    Case(
        "PATCH",
        f"{API}/patients/{{patient_id:uuid}}/enrolments/{{enrolment_id:uuid}}",
        patient_data(200, clinicians_only=True),
        # The extra enrolments: COPD for the twins, premature-home for P2.
        body=lambda w, a, t: {
            "parameters": {"feeding_phase": "tube"} if t == w.p2 else {"home_oxygen": True},
            "reason": "Matrix",
        },
        patient_route=True,
    ),
    Case(
        "GET",
        f"{API}/patients/{{patient_id:uuid}}/enrolments/{{enrolment_id:uuid}}/history",
        patient_data(200, clinicians_only=True),
        patient_route=True,
    ),
    Case(
        "POST",
        f"{API}/patients/{{patient_id:uuid}}/enrolments/{{enrolment_id:uuid}}/end",
        patient_data(200, clinicians_only=True),
        patient_route=True,
    ),
    Case(
        "POST",
        f"{API}/patients/{{patient_id:uuid}}/activation-codes",
        patient_data(201, clinicians_only=True),
        body=lambda w, a, t: {"role": "guardian", "display_name": "Another parent"},
        patient_route=True,
    ),
    # The family's sign-ins: a clinician of the patient lists them, ends a spare phone's session,
    # and unlinks an extra guardian (each target has its own, made in matrix_world).
    Case(
        "GET",
        f"{API}/patients/{{patient_id:uuid}}/sessions",
        patient_data(200, clinicians_only=True),
        patient_route=True,
    ),
    Case(
        "DELETE",
        f"{API}/patients/{{patient_id:uuid}}/sessions/{{session_id:uuid}}",
        patient_data(204, clinicians_only=True),
        patient_route=True,
    ),
    Case(
        "DELETE",
        f"{API}/patients/{{patient_id:uuid}}/guardians/{{guardian_id:uuid}}",
        patient_data(204, clinicians_only=True),
        patient_route=True,
    ),
    # Recovery of a lost last phone: a clinician of the patient issues a code for the family's
    # account, and a second one confirms (each target has a recovery issued by a second clinician
    # of its unit, made in matrix_world, for the world's clinician to confirm).
    Case(
        "POST",
        f"{API}/patients/{{patient_id:uuid}}/recoveries",
        patient_data(201, clinicians_only=True),
        body=lambda w, a, t: {"user_id": family_account(w, t), "reason": "Mistet telefonen; kjent legitimasjon"},
        patient_route=True,
    ),
    Case(
        "GET",
        f"{API}/patients/{{patient_id:uuid}}/recoveries",
        patient_data(200, clinicians_only=True),
        patient_route=True,
    ),
    Case(
        "POST",
        f"{API}/patients/{{patient_id:uuid}}/recoveries/{{recovery_id:uuid}}/confirm",
        patient_data(200, clinicians_only=True),
        patient_route=True,
    ),
    Case("GET", f"{API}/patients/{{patient_id:uuid}}/measurements", patient_data(200), patient_route=True),
    Case("GET", f"{API}/patients/{{patient_id:uuid}}/fhir", patient_data(200), patient_route=True),
    Case(
        "POST",
        f"{API}/patients/{{patient_id:uuid}}/measurements",
        patient_data(200),
        body=lambda w, a, t: {
            "measurements": [
                {
                    "id": str(uuid.uuid4()),
                    "type": "body_temperature",
                    "value": 37.1,
                    "unit": "Cel",
                    "measured_at": "2026-11-22T08:00:00+01:00",
                }
            ]
        },
        patient_route=True,
    ),
    Case("GET", f"{API}/patients/{{patient_id:uuid}}/forms", patient_data(200), patient_route=True),
    Case(
        "POST",
        f"{API}/patients/{{patient_id:uuid}}/form-responses",
        patient_data(201),
        body=lambda w, a, t: {
            "id": str(uuid.uuid4()),
            "version": 1,
            "authored_at": "2026-11-22T08:00:00+01:00",
            **(
                {"form": "copd-symptom-diary", "answers": dict.fromkeys(COPD_DIARY_ITEMS, False)}
                if t == w.p2
                else {"form": "premature-worried", "answers": {"worried": True}}
            ),
        },
        patient_route=True,
    ),
    Case("GET", f"{API}/patients/{{patient_id:uuid}}/form-responses", patient_data(200), patient_route=True),
    Case(
        "POST",
        f"{API}/patients/{{patient_id:uuid}}/contact-requests",
        patient_data(201),
        body=lambda w, a, t: {"message": "Kan dere ringe meg?"},
        patient_route=True,
    ),
    Case("GET", f"{API}/patients/{{patient_id:uuid}}/contact-requests", patient_data(200), patient_route=True),
    Case(
        "POST",
        f"{API}/patients/{{patient_id:uuid}}/contact-requests/{{request_id:uuid}}/handle",
        patient_data(200, clinicians_only=True),
        patient_route=True,
    ),
    # Web Push: any signed-in user, for their own browsers. The suite's app has no VAPID key (503).
    Case("GET", f"{API}/push/public-key", signed_in(503)),
    Case(
        "POST",
        f"{API}/push/subscriptions",
        signed_in(201),
        body=lambda w, a, t: {
            "endpoint": f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}",
            "expirationTime": None,
            "keys": browser_keys(),
        },
    ),
    Case(
        "DELETE",
        f"{API}/push/subscriptions",
        signed_in(204),
        body=lambda w, a, t: {"endpoint": f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}"},
    ),
    # The pre-call echo test: anyone signed in. An offer that is not SDP keeps it fast (no peer).
    Case("POST", f"{API}/video/echo", signed_in(422), body=lambda w, a, t: {"type": "offer", "sdp": "not sdp"}),
    # Video meetings: planned by a clinician of the patient, seen and joined by its people.
    Case(
        "POST",
        f"{API}/meetings",
        patient_data(201, clinicians_only=True),
        body=lambda w, a, t: {
            "patient_id": t,
            "kind": "consultation",
            "title": "Matrix",
            "starts_at": "2026-11-22T08:00:00+01:00",
        },
        patient_route=True,
    ),
    Case("GET", f"{API}/meetings", care(200)),
    Case("GET", f"{API}/meetings/{{meeting_id:uuid}}", meeting_of_patient(200), meeting_route=True),
    Case("POST", f"{API}/meetings/{{meeting_id:uuid}}/join", meeting_of_patient(200), meeting_route=True),
    # The signalling socket, tested by connecting with whatever ticket the actor can get.
    Case("WS", f"{API}/meetings/{{meeting_id:uuid}}/signal", signal_socket, meeting_route=True),
    # Alerts: clinical data, for the clinicians of the patient's units; the patient's own view.
    Case("GET", f"{API}/alerts", only("clinician", 200)),
    # The live feed (server-sent events); `once` answers the opening comment and ends.
    Case("GET", f"{API}/alerts/stream", only("clinician", 200), query={"once": "true"}),
    # A browser's way into the live feed: a single-use ticket cookie, for clinicians.
    Case("POST", f"{API}/alerts/stream/ticket", only("clinician", 204)),
    # The unit overview (U1 in the path): unresolved alerts and latest values of its patients.
    Case("GET", f"{API}/units/{{unit_id:uuid}}/overview", clinicians_of_u1(200)),
    # The unit's notification policy (U1): its clinicians and administrators; families have no say.
    Case("GET", f"{API}/units/{{unit_id:uuid}}/notification-policy", staff_of_u1(200)),
    Case(
        "PUT",
        f"{API}/units/{{unit_id:uuid}}/notification-policy",
        staff_of_u1(200),
        body=lambda w, a, t: {"reason": "Standard: alle får alt"},  # the default: changes nothing
    ),
    Case("GET", f"{API}/units/{{unit_id:uuid}}/notification-policy/history", staff_of_u1(200)),
    # Which pushes a family's phones get: patients and guardians.
    Case("GET", f"{API}/me/notification-settings", family(200)),
    Case("PUT", f"{API}/me/notification-settings", family(200), body=lambda w, a, t: {"handled": True}),
    # An alert's history: the same rule as acting on it.
    Case("GET", f"{API}/alerts/{{alert_id:uuid}}/events", alert_of_twin_a(200)),
    Case("POST", f"{API}/alerts/{{alert_id:uuid}}/acknowledge", alert_of_twin_a(200)),
    Case(
        "POST", f"{API}/alerts/{{alert_id:uuid}}/resolve", alert_of_twin_a(200), body=lambda w, a, t: {"note": "Ringt"}
    ),
    Case("GET", f"{API}/patients/{{patient_id:uuid}}/alerts", patient_data(200), patient_route=True),
    # The NEWS2 series the rules compute: for the patient's clinicians.
    Case(
        "GET", f"{API}/patients/{{patient_id:uuid}}/news2", patient_data(200, clinicians_only=True), patient_route=True
    ),
    Case(
        "GET", f"{API}/patients/{{patient_id:uuid}}/rules", patient_data(200, clinicians_only=True), patient_route=True
    ),
    Case(
        "PUT",
        f"{API}/patients/{{patient_id:uuid}}/rules/{{code:str}}",
        patient_data(200, clinicians_only=True),
        body=lambda w, a, t: {"params": {}, "reason": "Matrix"},
        patient_route=True,
    ),
    Case(
        "GET",
        f"{API}/patients/{{patient_id:uuid}}/rules/{{code:str}}/history",
        patient_data(200, clinicians_only=True),
        patient_route=True,
    ),
    # The tertial report: clinicians, for their own units (the figures show no single patient).
    Case("GET", f"{API}/reports/tertial", only("clinician", 200), query={"year": "2026", "tertial": "3"}),
    # Last: it ends the actor's session.
    Case("POST", f"{API}/auth/logout", signed_in(204)),
]


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    """(method, path) of every route; a websocket route counts as method "WS"."""
    return {
        (method, route.path)
        for route, handler in routes_and_handlers(app)
        for method in getattr(handler, "http_methods", None) or ("WS",)
    }


def test_every_route_has_a_case(client):
    known = {(case.method, case.path) for case in CASES}
    routes = app_routes(client.app)
    assert routes - known == set(), "routes without an access case in this matrix"
    assert known - routes == set(), "cases for routes the app does not have"


def test_a_route_without_an_access_rule_stops_the_app():
    @get("/undeclared")
    async def undeclared() -> None: ...

    with pytest.raises(ImproperlyConfiguredException, match="declares no access rule"):
        check_access_declared(Litestar(route_handlers=[undeclared]))


@pytest.fixture(scope="module")
async def matrix_world(client, database_url, settings) -> World:
    """A world of its own: the matrix logs every actor out at the end."""
    world = await build_world(client, database_url, settings)
    # An extra enrolment per patient, for the "end enrolment" route to end.
    extras = {
        world.twin_a: ("copd", {"spo2_scale": 1}),
        world.twin_b: ("copd", {"spo2_scale": 1}),
        world.p2: ("premature-home", INFANT),
    }
    for patient_id, (programme, parameters) in extras.items():
        clinician = world.clin_u2 if patient_id == world.p2 else world.clin_u1
        body = {
            "programme": programme,
            "unit_id": own_unit(world, clinician),
            "parameters": parameters,
            "started_at": "2026-11-21T08:00:00+01:00",
        }  # began yesterday, so it can end now
        response = await client.post(f"{API}/patients/{patient_id}/enrolments", json=body, headers=clinician.headers)
        world.extra[patient_id] = (await expect(response, 201))["id"]
    world.extra[MISSING] = str(uuid.uuid4())
    # A meeting per patient, planned by its clinician, for the meeting routes.
    for patient_id in (world.twin_a, world.twin_b, world.p2):
        clinician = world.clin_u2 if patient_id == world.p2 else world.clin_u1
        body = {
            "patient_id": patient_id,
            "kind": "consultation",
            "title": "Matrix",
            "starts_at": "2026-11-22T07:30:00Z",
        }
        response = await client.post(f"{API}/meetings", json=body, headers=clinician.headers)
        world.extra[f"meeting:{patient_id}"] = (await expect(response, 201))["id"]
    # A contact request per patient, for the "handle" route to handle.
    for patient_id, author in (
        (world.twin_a, world.guardian),
        (world.twin_b, world.guardian),
        (world.p2, world.patient_p2),
    ):
        body = {"message": "Ring meg, takk"}
        response = await client.post(f"{API}/patients/{patient_id}/contact-requests", json=body, headers=author.headers)
        world.extra[f"contact-request:{patient_id}"] = (await expect(response, 201))["id"]
    # Per patient, a spare phone of its family (for a clinician to end) and an extra guardian (to
    # unlink), so that the world's own actors stay signed in and linked.
    for patient_id, owner in (
        (world.twin_a, world.guardian),
        (world.twin_b, world.guardian),
        (world.p2, world.patient_p2),
    ):
        made = await expect(await client.post(f"{API}/me/device-codes", headers=owner.headers), 201)
        spare = Actor("spare", owner.role, (await activate(client, made["code"], "spare phone"))["access_token"])
        sessions = await expect(await client.get(f"{API}/me/sessions", headers=spare.headers), 200)
        world.extra[f"session:{patient_id}"] = next(s["id"] for s in sessions["items"] if s["current"])
        clinician = world.clin_u2 if patient_id == world.p2 else world.clin_u1
        code = await activation_code(client, clinician, patient_id, "guardian")
        extra_guardian = Actor("extra", "guardian", (await activate(client, code))["access_token"])
        world.extra[f"guardian:{patient_id}"] = (await me(client, extra_guardian))["id"]
        # A recovery issued by a second clinician of the unit, for the world's clinician to confirm.
        unit = world.unit_u2 if patient_id == world.p2 else world.unit_u1
        second = await make_clinician(client, world.admin.headers, [unit])
        body = {"user_id": family_account(world, patient_id), "reason": "Mistet telefonen"}
        response = await client.post(f"{API}/patients/{patient_id}/recoveries", json=body, headers=second.headers)
        world.extra[f"recovery:{patient_id}"] = (await expect(response, 201))["recovery"]["id"]
    # The alert twin A's contact request raised, for the alert routes.
    response = await client.get(f"{API}/alerts", params={"patient_id": world.twin_a}, headers=world.clin_u1.headers)
    world.extra["alert"] = next(
        a["id"] for a in (await expect(response, 200))["items"] if a["rule"] == "contact_request"
    )
    return world


def family_account(world: World, patient_id: str | None) -> str:
    """The account of the patient's family that the world signs in: the twins' guardian, P2 itself."""
    return world.patient_p2.id if patient_id == world.p2 else world.guardian.id


def concrete_path(case: Case, world: World, target: str | None) -> str:
    path = case.path.replace("{patient_id:uuid}", target or "")
    path = path.replace("{enrolment_id:uuid}", world.extra.get(target or "", str(uuid.uuid4())))
    path = path.replace("{request_id:uuid}", world.extra.get(f"contact-request:{target}", str(uuid.uuid4())))
    path = path.replace("{organisation_id:uuid}", world.organisation_id)
    path = path.replace("{unit_id:uuid}", world.unit_u1)
    path = path.replace("{user_id:uuid}", world.clin_u1.id or "")
    path = path.replace("{alert_id:uuid}", world.extra.get("alert", str(uuid.uuid4())))
    path = path.replace("{code:str}", "contact_request")  # a rule of every programme
    path = path.replace("{meeting_id:uuid}", world.extra.get(f"meeting:{target}", world.extra[MISSING]))
    path = path.replace("{session_id:uuid}", world.extra.get(f"session:{target}", str(uuid.uuid4())))
    path = path.replace("{guardian_id:uuid}", world.extra.get(f"guardian:{target}", str(uuid.uuid4())))
    if path.startswith(("/app/", "/care/")):
        path = path.replace("{file_path:path}", "manifest.webmanifest")
    path = path.replace("{recovery_id:uuid}", world.extra.get(f"recovery:{target}", str(uuid.uuid4())))
    return path.replace("{file_path:path}", "swagger-ui.css").replace("{path:str}", "redoc")


async def access_log_rows(db, patient_id: str, after_id: int) -> list[str]:
    rows = await db.fetch(
        "select outcome from access_log where patient_id = $1 and id > $2 order by id",
        uuid.UUID(patient_id),
        after_id,
    )
    return [row["outcome"] for row in rows]


async def socket_attempt(client, path: str, actor: Actor) -> int:
    """Ask for a ticket as the actor (when it can get one) and open the socket: 200 when welcomed,
    else the close code after the error frame."""
    ticket = ""
    if actor.token:
        joined = await client.post(path.removesuffix("/signal") + "/join", headers=actor.headers)
        ticket = joined.json()["ticket"] if joined.status_code == 200 else ""
    with await client.websocket_connect(f"{path}?ticket={ticket}") as socket:
        frame = socket.receive_json(timeout=5)
        if frame["type"] == "welcome":
            return 200
        try:
            socket.receive(timeout=5)
        except WebSocketDisconnect as closed:
            return closed.code
    return 0


async def test_access_matrix(client, matrix_world, db):
    world = matrix_world
    missing = world.extra[MISSING]
    targets = [world.twin_a, world.twin_b, world.p2, missing]
    per_target = lambda case: case.patient_route or case.meeting_route  # noqa: E731
    mismatches: list[str] = []
    calls = 0
    for case in CASES:
        for actor in world.actors:
            for target in targets if per_target(case) else [None]:
                path = concrete_path(case, world, target)
                body = case.body(world, actor, target) if case.body else None
                last_log_id = await db.fetchval("select coalesce(max(id), 0) from access_log")
                wanted = case.expected(world, actor, None if target == missing else target)
                label = f"{case.method} {case.path} as {actor.name} on {target}"
                calls += 1
                if case.method == "WS":
                    got = await socket_attempt(client, path, actor)
                    if got != wanted:
                        mismatches.append(f"{label}: {got} != {wanted}")
                    continue
                response = await client.request(case.method, path, json=body, headers=actor.headers, params=case.query)
                # Each call stands alone: a cookie one actor was given (the stream ticket) is not
                # the next actor's.
                client.cookies.clear()
                if response.status_code != wanted:
                    mismatches.append(f"{label}: {response.status_code} != {wanted} ({response.text[:120]})")
                    continue
                if case.patient_route and actor.role is not None:
                    outcomes = await access_log_rows(db, target, last_log_id)
                    expected_outcome = "allowed" if wanted < 400 else "denied"
                    if outcomes != [expected_outcome]:
                        mismatches.append(f"{label}: access log {outcomes} != [{expected_outcome}]")
                if case.meeting_route and actor.role not in (None, "admin") and target != missing:
                    # A read or denial of an existing meeting is one row on its patient's log.
                    outcomes = await access_log_rows(db, target, last_log_id)
                    expected_outcome = "allowed" if wanted < 400 else "denied"
                    if outcomes != [expected_outcome]:
                        mismatches.append(f"{label}: access log {outcomes} != [{expected_outcome}]")
                if wanted == 404 and (case.patient_route or case.meeting_route):
                    # "Not yours" must look exactly like "not there".
                    twin = await client.request(
                        case.method, concrete_path(case, world, missing), json=body, headers=actor.headers
                    )
                    if (
                        twin.content != response.content
                        or twin.headers["content-type"] != response.headers["content-type"]
                    ):
                        mismatches.append(f"{label}: 404 differs from a missing patient's 404")
    assert mismatches == [], "\n".join(mismatches)
    assert calls >= len(CASES) * len(world.actors)


async def test_patient_list_shows_only_the_clinicians_own_patients(client, world, db):
    for clinician, mine in ((world.clin_u1, {world.twin_a, world.twin_b}), (world.clin_u2, {world.p2})):
        last_log_id = await db.fetchval("select coalesce(max(id), 0) from access_log")
        listed = await expect(await client.get(f"{API}/patients", headers=clinician.headers), 200)
        ids = {item["id"] for item in listed["items"]}
        assert mine <= ids
        assert ids.isdisjoint({world.twin_a, world.twin_b, world.p2} - mine)
        logged = await db.fetch(
            "select patient_id from access_log where id > $1 and actor_id = $2 and resource = 'patient-list'",
            last_log_id,
            uuid.UUID(clinician.id),
        )
        assert sorted(str(row["patient_id"]) for row in logged) == sorted(ids)


async def test_a_foreign_unit_in_the_body_is_refused_and_stores_nothing(client, world, db):
    patients_before = await db.fetchval("select count(*) from patients")
    enrolments_before = await db.fetchval("select count(*) from enrolments")
    body = {"display_name": "Smuggled", "birth_date": "2026-11-01", "unit_id": world.unit_u2}
    problem = await expect(await client.post(f"{API}/patients", json=body, headers=world.clin_u1.headers), 422)
    assert problem["errors"][0]["field"] == "unit_id"
    enrolment = {"programme": "home-dialysis", "unit_id": world.unit_u2, "parameters": {"dry_weight_kg": 70}}
    response = await client.post(
        f"{API}/patients/{world.twin_a}/enrolments", json=enrolment, headers=world.clin_u1.headers
    )
    assert (await expect(response, 422))["errors"][0]["field"] == "unit_id"
    response = await client.get(f"{API}/patients", params={"unit_id": world.unit_u2}, headers=world.clin_u1.headers)
    assert (await expect(response, 422))["errors"][0]["field"] == "unit_id"
    assert await db.fetchval("select count(*) from patients") == patients_before
    assert await db.fetchval("select count(*) from enrolments") == enrolments_before


async def test_clinician_access_follows_the_enrolment_in_time(client, world, clock):
    """Access starts at the enrolment's start and ends at its end, to the second (injected clock)."""
    body = {"display_name": "Planned discharge", "birth_date": "2026-11-01", "unit_id": world.unit_u1}
    patient = await expect(await client.post(f"{API}/patients", json=body, headers=world.clin_u1.headers), 201)
    url = f"{API}/patients/{patient['id']}"
    # Registered but not enrolled: the registering unit may see (and enrol) the patient.
    await expect(await client.get(url, headers=world.clin_u1.headers), 200)
    await expect(await client.get(url, headers=world.clin_u2.headers), 404)

    starts = clock.now.replace(microsecond=0).isoformat().replace("+00:00", "+01:00")  # an hour earlier in UTC
    enrolment = {"programme": "premature-home", "unit_id": world.unit_u1, "parameters": INFANT, "started_at": starts}
    created = await expect(await client.post(f"{url}/enrolments", json=enrolment, headers=world.clin_u1.headers), 201)
    await expect(await client.get(url, headers=world.clin_u1.headers), 200)

    clock.advance(minutes=10)  # within the access token's lifetime
    ended = await expect(await client.post(f"{url}/enrolments/{created['id']}/end", headers=world.clin_u1.headers), 200)
    assert ended["ended_at"] is not None
    await expect(await client.get(url, headers=world.clin_u1.headers), 404)
    clock.advance(seconds=-1)  # one second before the end, access was still there
    await expect(await client.get(url, headers=world.clin_u1.headers), 200)
