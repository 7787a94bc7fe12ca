"""Bad input on every route with a JSON body (docs/reliability.md, R13 and R14).

The table below names, for each such route, who may call it, a valid body and the wrong-typed
values to try. The route list comes from the app itself: a new route with a body that the table
lacks fails `test_table_covers_every_route_with_a_body`. Every answer must be an RFC 9457 problem
with the exact status, never a 500, and nothing may be written.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest

from alerting.notify.schemas import FamilyNotificationSettingsIn, NotificationPolicyIn
from alerting.push.subscriptions.schemas import SubscriptionIn, SubscriptionRef
from alerting.schemas import ResolveRequest, RuleOverrideIn
from backend.app import routes_and_handlers
from backend.forms.schemas import ContactRequestIn, FormResponseIn
from backend.identity.schemas import ActivateRequest, LinkRequest, LoginRequest, RefreshRequest
from backend.measurements.routes import UPLOAD_MAX_BYTES
from backend.measurements.schemas import UploadRequest
from backend.organisation.schemas import OrganisationCreate, StaffUpdate, UnitCreate, UserCreate
from backend.patients.schemas import (
    ActivationCodeCreate,
    EnrolmentChange,
    EnrolmentCreate,
    PatientCreate,
    RecoveryCreate,
)
from tests.alerting.push.support import browser_keys
from tests.helpers import API, PASSWORD, World, http_scope
from video.echo import SDP_MAX_CHARS
from video.echo_routes import EchoOffer
from video.schemas import MeetingCreate

PROBLEM_KEYS = {"type", "title", "status", "detail"}
UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"
DEEP_MARK = "__deep__"  # replaced by JSON nested deeper than a decoder recurses

# Every table a request could write to; counted before and after each bad request.
TABLES = (
    "organisations",
    "units",
    "users",
    "unit_memberships",
    "patients",
    "guardianships",
    "enrolments",
    "enrolment_parameter_changes",
    "activation_codes",
    "auth_sessions",
    "auth_tokens",
    "sign_in_failures",
    "access_log",
    "measurements",
    "form_responses",
    "contact_requests",
    "patient_rule_overrides",
    "alerts",
    "alert_events",
    "push_deliveries",
    "meetings",
    "meeting_participants",
    "meeting_tickets",
    "push_subscriptions",
    "recovery_codes",
)


@dataclass(frozen=True)
class WrongType:
    """Merge `overrides` into the valid body and expect a 422 whose first error names `field`."""

    name: str
    overrides: dict[str, Any]
    field: str


@dataclass(frozen=True)
class BodyRoute:
    model: type[msgspec.Struct]
    actor: str  # an attribute of World
    path: Callable[[World], str]
    body: Callable[[World], dict[str, Any]]
    wrong: tuple[WrongType, ...] = field(default=())
    # Puts DEEP_MARK where the schema takes arbitrary JSON (a decoder must recurse as deep as the
    # client nests there); None when the schema has no such place.
    any_json: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # The route's own body limit when it differs from settings.max_body_bytes.
    max_body: int | None = None


ROUTES: dict[tuple[str, str], BodyRoute] = {
    ("POST", f"{API}/auth/login"): BodyRoute(
        LoginRequest,
        "anonymous",
        lambda w: f"{API}/auth/login",
        lambda w: {"username": "nobody", "password": PASSWORD},
        (
            WrongType("username number", {"username": 1}, "username"),
            WrongType("password null", {"password": None}, "password"),
        ),
    ),
    ("POST", f"{API}/me/guardianships"): BodyRoute(
        LinkRequest,
        "guardian",
        lambda w: f"{API}/me/guardianships",
        lambda w: {"code": "ABCD-EFGH-JKLM"},
        (WrongType("code number", {"code": 12345678}, "code"),),
    ),
    ("POST", f"{API}/auth/activate"): BodyRoute(
        ActivateRequest,
        "anonymous",
        lambda w: f"{API}/auth/activate",
        lambda w: {"code": "ABCD-EFGH-JKLM", "device_name": "phone"},
        (
            WrongType("code number", {"code": 12345678}, "code"),
            WrongType("device_name list", {"device_name": ["phone"]}, "device_name"),
        ),
    ),
    ("POST", f"{API}/auth/refresh"): BodyRoute(
        RefreshRequest,
        "anonymous",
        lambda w: f"{API}/auth/refresh",
        lambda w: {"refresh_token": "hr_not-a-real-token"},
        (WrongType("refresh_token number", {"refresh_token": 5}, "refresh_token"),),
    ),
    ("POST", f"{API}/organisations"): BodyRoute(
        OrganisationCreate,
        "admin",
        lambda w: f"{API}/organisations",
        lambda w: {"name": "Bad input hospital", "kind": "hospital"},
        (
            WrongType("kind number", {"kind": 1}, "kind"),
            WrongType("kind unknown", {"kind": "pharmacy"}, "kind"),
            WrongType("name bool", {"name": True}, "name"),
        ),
    ),
    ("POST", f"{API}/organisations/{{organisation_id:uuid}}/units"): BodyRoute(
        UnitCreate,
        "admin",
        lambda w: f"{API}/organisations/{w.organisation_id}/units",
        lambda w: {"name": "Bad input unit"},
        (
            WrongType("name number", {"name": 5}, "name"),
            WrongType("name empty", {"name": ""}, "name"),
        ),
    ),
    ("POST", f"{API}/users"): BodyRoute(
        UserCreate,
        "admin",
        lambda w: f"{API}/users",
        lambda w: {
            "username": "bad.input",
            "password": PASSWORD,
            "display_name": "Bad Input",
            "role": "clinician",
            "profession": "nurse",
            "unit_ids": [w.unit_u1],
        },
        (
            WrongType("role number", {"role": 1}, "role"),
            WrongType("unit_ids string", {"unit_ids": "x"}, "unit_ids"),
            WrongType("unit_ids item number", {"unit_ids": [1]}, "unit_ids[0]"),
            WrongType("password too short", {"password": "short"}, "password"),
        ),
    ),
    ("POST", f"{API}/patients"): BodyRoute(
        PatientCreate,
        "clin_u1",
        lambda w: f"{API}/patients",
        lambda w: {"display_name": "Bad Input", "birth_date": "2026-10-01", "unit_id": w.unit_u1},
        (
            # `0` must not become 1970-01-01 (docs/reliability.md, F1).
            WrongType("birth_date number", {"birth_date": 0}, "birth_date"),
            WrongType("birth_date datetime", {"birth_date": "2026-10-01T00:00:00Z"}, "birth_date"),
            WrongType("unit_id number", {"unit_id": 5}, "unit_id"),
            WrongType("unit_id not uuid", {"unit_id": "not-a-uuid"}, "unit_id"),
        ),
    ),
    ("PATCH", f"{API}/users/{{user_id:uuid}}"): BodyRoute(
        StaffUpdate,
        "admin",
        lambda w: f"{API}/users/{w.clin_u2.id}",
        lambda w: {"disabled": False},
        (
            WrongType("disabled string", {"disabled": "false"}, "disabled"),
            WrongType("unit_ids string", {"unit_ids": "x"}, "unit_ids"),
            WrongType("unit_ids numbers", {"unit_ids": [1]}, "unit_ids[0]"),
        ),
    ),
    ("PATCH", f"{API}/patients/{{patient_id:uuid}}/enrolments/{{enrolment_id:uuid}}"): BodyRoute(
        EnrolmentChange,
        "clin_u1",
        # The body is decoded before the enrolment is looked up: these never reach it.
        lambda w: f"{API}/patients/{w.twin_a}/enrolments/{UNKNOWN_UUID}",
        lambda w: {"parameters": {"prescribed_ml_per_kg_day": 170}, "reason": "Ny plan"},
        (
            WrongType("parameters list", {"parameters": [170]}, "parameters"),
            WrongType("reason number", {"reason": 5}, "reason"),
            WrongType("reason missing", {"reason": None}, "reason"),
        ),
        any_json=lambda body: {**body, "parameters": {"x": DEEP_MARK}},
    ),
    ("POST", f"{API}/patients/{{patient_id:uuid}}/enrolments"): BodyRoute(
        EnrolmentCreate,
        "clin_u1",
        lambda w: f"{API}/patients/{w.twin_a}/enrolments",
        lambda w: {"programme": "copd", "unit_id": w.unit_u1, "parameters": {"spo2_scale": 2}},
        (
            # A number sent as a string is refused, not converted.
            WrongType(
                "birth_weight_g string",
                {"programme": "premature-home", "parameters": {"birth_weight_g": "1650"}},
                "parameters.birth_weight_g",
            ),
            WrongType(
                "birth_weight_g bool",
                {"programme": "premature-home", "parameters": {"birth_weight_g": True}},
                "parameters.birth_weight_g",
            ),
            WrongType("parameters list", {"parameters": [1]}, "parameters"),
            WrongType("programme number", {"programme": 1}, "programme"),
            # RFC 3339 with an offset, nothing else.
            WrongType("started_at without offset", {"started_at": "2026-11-22T08:00:00"}, "started_at"),
            WrongType("started_at date only", {"started_at": "2026-11-22"}, "started_at"),
            WrongType("started_at number", {"started_at": 0}, "started_at"),
        ),
        any_json=lambda body: {**body, "parameters": {"x": DEEP_MARK}},
    ),
    ("POST", f"{API}/patients/{{patient_id:uuid}}/activation-codes"): BodyRoute(
        ActivationCodeCreate,
        "clin_u1",
        lambda w: f"{API}/patients/{w.twin_a}/activation-codes",
        lambda w: {"role": "guardian", "display_name": "Bad Input"},
        (
            WrongType("role unknown", {"role": "admin"}, "role"),
            WrongType("guardian_id number", {"guardian_id": 7}, "guardian_id"),
        ),
    ),
    ("POST", f"{API}/patients/{{patient_id:uuid}}/recoveries"): BodyRoute(
        RecoveryCreate,
        "clin_u1",
        lambda w: f"{API}/patients/{w.twin_a}/recoveries",
        lambda w: {"user_id": w.guardian.id, "reason": "Mistet telefonen"},
        (
            WrongType("user_id number", {"user_id": 7}, "user_id"),
            WrongType("user_id not of the family", {"user_id": str(uuid.uuid4())}, "user_id"),
            WrongType("reason empty", {"reason": ""}, "reason"),
            WrongType("reason NUL", {"reason": "a\u0000b"}, "reason"),
        ),
    ),
    ("POST", f"{API}/patients/{{patient_id:uuid}}/measurements"): BodyRoute(
        UploadRequest,
        "guardian",
        lambda w: f"{API}/patients/{w.twin_a}/measurements",
        lambda w: {
            "measurements": [
                {
                    "id": "5b0c1d4e-8f7a-4c3b-9d2e-1f0a9b8c7d6e",
                    "type": "body_weight",
                    "value": 2100,
                    "unit": "g",
                    "measured_at": "2026-11-22T07:00:00+01:00",
                }
            ]
        },
        (
            WrongType("measurements string", {"measurements": "x"}, "measurements"),
            WrongType("measurements object", {"measurements": {"id": UNKNOWN_UUID}}, "measurements"),
            WrongType("measurements empty", {"measurements": []}, "measurements"),
        ),
        any_json=lambda body: {"measurements": [{"x": DEEP_MARK}]},
        max_body=UPLOAD_MAX_BYTES,
    ),
    ("POST", f"{API}/patients/{{patient_id:uuid}}/form-responses"): BodyRoute(
        FormResponseIn,
        "guardian",
        lambda w: f"{API}/patients/{w.twin_a}/form-responses",
        lambda w: {
            "id": "0b7e3f0c-5d1a-4c9e-8f2b-6a4d3c2b1a09",
            "form": "premature-worried",
            "version": 1,
            "authored_at": "2026-11-22T08:00:00+01:00",
            "answers": {"worried": True},
        },
        (
            WrongType("version string", {"version": "1"}, "version"),
            WrongType("version zero", {"version": 0}, "version"),
            WrongType("authored_at naive", {"authored_at": "2026-11-22T08:00:00"}, "authored_at"),
            WrongType("answers list", {"answers": [True]}, "answers"),
            WrongType("boolean as string", {"answers": {"worried": "true"}}, "answers.worried"),
            WrongType("unknown form", {"form": "no-such-form"}, "form"),
        ),
        any_json=lambda body: {**body, "answers": {"x": DEEP_MARK}},
    ),
    ("POST", f"{API}/patients/{{patient_id:uuid}}/contact-requests"): BodyRoute(
        ContactRequestIn,
        "guardian",
        lambda w: f"{API}/patients/{w.twin_a}/contact-requests",
        lambda w: {"message": "Kan dere ringe meg?"},
        (
            WrongType("message number", {"message": 5}, "message"),
            WrongType("message blank", {"message": "   "}, "message"),
            WrongType("id not a uuid", {"id": "x"}, "id"),
        ),
    ),
    ("POST", f"{API}/alerts/{{alert_id:uuid}}/resolve"): BodyRoute(
        ResolveRequest,
        "clin_u1",
        lambda w: f"{API}/alerts/{UNKNOWN_UUID}/resolve",
        lambda w: {"note": "Ringte foreldrene"},
        (
            WrongType("note number", {"note": 5}, "note"),
            WrongType("note empty", {"note": ""}, "note"),
            WrongType("note too long", {"note": "x" * 2001}, "note"),
        ),
    ),
    ("PUT", f"{API}/units/{{unit_id:uuid}}/notification-policy"): BodyRoute(
        NotificationPolicyIn,
        "clin_u1",
        lambda w: f"{API}/units/{w.unit_u1}/notification-policy",
        lambda w: {"reason": "Bad input: the default"},
        (
            WrongType("reason empty", {"reason": ""}, "reason"),
            WrongType("start without a leading zero", {"staffed": {"start": "8:00"}}, "staffed.start"),
            WrongType("weekday 8", {"staffed": {"days": [8]}}, "staffed.days[0]"),
            WrongType("who unknown", {"in_hours": {"low": {"who": "nobody"}}}, "in_hours.low.who"),
            WrongType("repeat as text", {"high": {"repeat_minutes": "15"}}, "high.repeat_minutes"),
            WrongType("repeat under 15", {"medium": {"repeat_minutes": 5}}, "medium.repeat_minutes"),
            WrongType("on_call not a uuid", {"on_call": ["nurse"]}, "on_call[0]"),
            WrongType("promise over a week", {"contact_within_hours": 169}, "contact_within_hours"),
            WrongType("phone with letters", {"phone": "call us"}, "phone"),
        ),
    ),
    ("PUT", f"{API}/me/notification-settings"): BodyRoute(
        FamilyNotificationSettingsIn,
        "guardian",
        lambda w: f"{API}/me/notification-settings",
        lambda w: {"seen": True},
        (
            WrongType("seen as text", {"seen": "true"}, "seen"),
            WrongType("unknown kind", {"digest": True}, "digest"),
            WrongType("reminder as a number", {"reminder": 0}, "reminder"),
        ),
    ),
    ("PUT", f"{API}/patients/{{patient_id:uuid}}/rules/{{code:str}}"): BodyRoute(
        RuleOverrideIn,
        "clin_u1",
        lambda w: f"{API}/patients/{w.twin_a}/rules/infant_temperature_low",
        lambda w: {"params": {"limit": 36.0}, "severity": "low", "enabled": True, "reason": "Bad input"},
        (
            WrongType("severity unknown", {"severity": "urgent"}, "severity"),
            WrongType("enabled as text", {"enabled": "false"}, "enabled"),
            WrongType("params list", {"params": [1]}, "params"),
            WrongType("limit as text", {"params": {"limit": "36"}}, "params.limit"),
            WrongType("reason empty", {"reason": ""}, "reason"),
            WrongType("expires_at naive", {"expires_at": "2026-11-23T08:00:00"}, "expires_at"),
            WrongType("expires_at number", {"expires_at": 0}, "expires_at"),
        ),
        any_json=lambda body: {**body, "params": {"limit": DEEP_MARK}},
    ),
    ("POST", f"{API}/push/subscriptions"): BodyRoute(
        SubscriptionIn,
        "clin_u1",
        lambda w: f"{API}/push/subscriptions",
        lambda w: {
            "endpoint": "https://fcm.googleapis.com/fcm/send/bad-input",
            "expirationTime": None,
            "keys": browser_keys(),
        },
        (
            WrongType("endpoint number", {"endpoint": 5}, "endpoint"),
            WrongType("endpoint http", {"endpoint": "http://fcm.googleapis.com/fcm/send/x"}, "endpoint"),
            WrongType("endpoint internal", {"endpoint": "https://169.254.169.254/latest"}, "endpoint"),
            WrongType("keys string", {"keys": "x"}, "keys"),
            WrongType("p256dh number", {"keys": {"p256dh": 1, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "keys.p256dh"),
            WrongType("auth too short", {"keys": {**browser_keys(), "auth": "AAAA"}}, "keys.auth"),
            WrongType("expirationTime string", {"expirationTime": "2026-11-22"}, "expirationTime"),
            WrongType("expirationTime float", {"expirationTime": 1.5}, "expirationTime"),
        ),
    ),
    ("DELETE", f"{API}/push/subscriptions"): BodyRoute(
        SubscriptionRef,
        "clin_u1",
        lambda w: f"{API}/push/subscriptions",
        lambda w: {"endpoint": "https://fcm.googleapis.com/fcm/send/bad-input"},
        (
            WrongType("endpoint number", {"endpoint": 5}, "endpoint"),
            WrongType("endpoint empty", {"endpoint": ""}, "endpoint"),
        ),
    ),
    ("POST", f"{API}/video/echo"): BodyRoute(
        EchoOffer,
        "guardian",
        lambda w: f"{API}/video/echo",
        lambda w: {"type": "offer", "sdp": "v=0\r\n"},
        (
            WrongType("type answer", {"type": "answer"}, "type"),
            WrongType("type number", {"type": 1}, "type"),
            WrongType("sdp number", {"sdp": 1}, "sdp"),
            WrongType("sdp empty", {"sdp": ""}, "sdp"),
            WrongType("sdp too long", {"sdp": "v" * (SDP_MAX_CHARS + 1)}, "sdp"),
        ),
    ),
    ("POST", f"{API}/meetings"): BodyRoute(
        MeetingCreate,
        "clin_u1",
        lambda w: f"{API}/meetings",
        lambda w: {
            "patient_id": w.twin_a,
            "kind": "consultation",
            "title": "Bad input",
            "starts_at": "2026-11-22T08:00:00+01:00",
            "participants": [{"user_id": w.clin_u1.id, "role": "host"}],
        },
        (
            WrongType("kind unknown", {"kind": "party"}, "kind"),
            WrongType("starts_at naive", {"starts_at": "2026-11-22T08:00:00"}, "starts_at"),
            WrongType("starts_at number", {"starts_at": 0}, "starts_at"),
            WrongType("patient_id number", {"patient_id": 5}, "patient_id"),
            WrongType("participants object", {"participants": {"user_id": UNKNOWN_UUID}}, "participants"),
            WrongType(
                "participant role",
                {"participants": [{"user_id": UNKNOWN_UUID, "role": "admin"}]},
                "participants[0].role",
            ),
            WrongType("participant extra", {"participants": [{"user_id": UNKNOWN_UUID, "x": 1}]}, "participants[0].x"),
            WrongType("title empty", {"title": ""}, "title"),
        ),
    ),
}


# Values strict decoding lets through but nothing downstream can hold (issue 11, findings 3 and 6):
# U+0000 in every text field a client sends (notes and form answers are per item: tests/measurements
# and tests/forms), instants before year 1 or after 9999 in UTC, an integer no float holds.
NUL = "a\u0000b"
YEAR_1 = "0001-01-01T00:00:00+01:00"
YEAR_9999 = "9999-12-31T23:59:59-01:00"
UNSTORABLE: dict[tuple[str, str], tuple[WrongType, ...]] = {
    ("POST", f"{API}/auth/login"): (WrongType("username NUL", {"username": NUL}, "username"),),
    ("POST", f"{API}/auth/activate"): (WrongType("device_name NUL", {"device_name": NUL}, "device_name"),),
    ("POST", f"{API}/auth/refresh"): (WrongType("refresh_token NUL", {"refresh_token": NUL}, "refresh_token"),),
    ("POST", f"{API}/organisations"): (WrongType("name NUL", {"name": NUL}, "name"),),
    ("POST", f"{API}/organisations/{{organisation_id:uuid}}/units"): (WrongType("name NUL", {"name": NUL}, "name"),),
    ("POST", f"{API}/users"): (
        WrongType("username NUL", {"username": NUL}, "username"),
        WrongType("display_name NUL", {"display_name": NUL}, "display_name"),
    ),
    ("POST", f"{API}/patients"): (
        WrongType("display_name NUL", {"display_name": NUL}, "display_name"),
        WrongType("time_zone NUL", {"time_zone": NUL}, "time_zone"),
        WrongType("birth_date year 1", {"birth_date": "0001-01-01"}, "birth_date"),
    ),
    ("POST", f"{API}/patients/{{patient_id:uuid}}/enrolments"): (
        WrongType("parameter value NUL", {"parameters": {"spo2_scale": NUL}}, "parameters.spo2_scale"),
        WrongType("parameter name NUL", {"parameters": {NUL: 1}}, "parameters.a\\u0000b"),
        WrongType("started_at year 1 at +01:00", {"started_at": YEAR_1}, "started_at"),
        WrongType("started_at year 9999 at -01:00", {"started_at": YEAR_9999}, "started_at"),
    ),
    ("PATCH", f"{API}/patients/{{patient_id:uuid}}/enrolments/{{enrolment_id:uuid}}"): (
        WrongType("reason NUL", {"reason": NUL}, "reason"),
        WrongType("parameter value NUL", {"parameters": {"feeding_phase": NUL}}, "parameters.feeding_phase"),
        WrongType(
            "parameter 10^400",
            {"parameters": {"prescribed_ml_per_kg_day": 10**400}},
            "parameters.prescribed_ml_per_kg_day",
        ),
    ),
    ("POST", f"{API}/patients/{{patient_id:uuid}}/activation-codes"): (
        WrongType("display_name NUL", {"display_name": NUL}, "display_name"),
    ),
    ("POST", f"{API}/patients/{{patient_id:uuid}}/form-responses"): (
        WrongType("form NUL", {"form": NUL}, "form"),
        WrongType("answer NUL", {"answers": {"worried": NUL}}, "answers.worried"),
        WrongType("answer 10^400", {"answers": {"worried": 10**400}}, "answers.worried"),
        WrongType("authored_at year 1 at +01:00", {"authored_at": YEAR_1}, "authored_at"),
        WrongType("authored_at year 9999 at -01:00", {"authored_at": YEAR_9999}, "authored_at"),
    ),
    ("POST", f"{API}/patients/{{patient_id:uuid}}/contact-requests"): (
        WrongType("message NUL", {"message": NUL}, "message"),
    ),
    ("POST", f"{API}/alerts/{{alert_id:uuid}}/resolve"): (WrongType("note NUL", {"note": NUL}, "note"),),
    ("PUT", f"{API}/patients/{{patient_id:uuid}}/rules/{{code:str}}"): (
        WrongType("reason NUL", {"reason": NUL}, "reason"),
        WrongType("param NUL", {"params": {"type": NUL}}, "params.type"),
        WrongType("expires_at year 1 at +01:00", {"expires_at": YEAR_1}, "expires_at"),
        WrongType("expires_at year 9999 at -01:00", {"expires_at": YEAR_9999}, "expires_at"),
    ),
    ("POST", f"{API}/push/subscriptions"): (
        WrongType("endpoint NUL", {"endpoint": f"https://fcm.googleapis.com/fcm/send/{NUL}"}, "endpoint"),
    ),
    ("DELETE", f"{API}/push/subscriptions"): (
        WrongType("endpoint NUL", {"endpoint": f"https://fcm.googleapis.com/fcm/send/{NUL}"}, "endpoint"),
    ),
    ("POST", f"{API}/video/echo"): (WrongType("sdp NUL", {"sdp": f"v=0\r\n{NUL}"}, "sdp"),),
    ("POST", f"{API}/meetings"): (
        WrongType("title NUL", {"title": NUL}, "title"),
        WrongType("starts_at year 1 at +01:00", {"starts_at": YEAR_1}, "starts_at"),
        WrongType("starts_at year 9999 at -01:00", {"starts_at": YEAR_9999}, "starts_at"),
        WrongType("ends_at year 9999 at -01:00", {"ends_at": YEAR_9999}, "ends_at"),
    ),
}


def test_unstorable_rows_name_routes_with_a_body():
    assert set(UNSTORABLE) <= set(ROUTES)


def required_fields(model: type[msgspec.Struct]) -> list[str]:
    return [f.name for f in msgspec.structs.fields(model) if f.required]


@dataclass(frozen=True)
class Case:
    name: str
    content: Callable[[dict[str, Any], int], bytes]  # (valid body, body limit) -> raw bytes
    status: int
    field: str | None = None
    detail: str | None = None  # a phrase the problem's detail must contain


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _cases(key: tuple[str, str], route: BodyRoute) -> list[Case]:
    cases = [
        Case("empty body", lambda body, limit: b"", 400),
        Case("malformed: truncated", lambda body, limit: _json(body)[:-1], 400),
        Case("malformed: not json", lambda body, limit: b"username=x&password=y", 400),
        Case("malformed: trailing garbage", lambda body, limit: _json(body) + b"}", 400),
        Case("malformed: single quotes", lambda body, limit: _json(body).replace(b'"', b"'"), 400),
        Case("malformed: invalid utf-8", lambda body, limit: b'{"\xff\xfe": 1}', 400, detail="not valid JSON"),
        Case("malformed: NaN", lambda body, limit: b'{"%s": NaN}' % next(iter(body)).encode(), 400),
        Case("json array", lambda body, limit: _json([body]), 422, "body"),
        Case("json null", lambda body, limit: b"null", 422, "body"),
        Case("unknown field", lambda body, limit: _json({**body, "is_admin": True}), 422, "is_admin"),
        # Exactly at the limit the body is read and parsed (400); one byte more is refused
        # unread (413): the limit is checked before parsing.
        Case("invalid json at the limit", lambda body, limit: b"{" * limit, 400),
        Case("invalid json over the limit", lambda body, limit: b"{" * (limit + 1), 413),
        Case(
            "valid json over the limit",
            lambda body, limit: _json({**body, "padding": "x" * (limit + 1)}),
            413,
        ),
    ]
    # Valid JSON nested deeper than a decoder recurses, still well within the size limit: where the
    # schema takes any JSON it must be refused as unparseable, elsewhere as the wrong type.
    deep = b"[" * 30_000 + b"]" * 30_000
    deep_object = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
    mark = b'"%s"' % DEEP_MARK.encode()
    if route.any_json:
        cases.append(
            Case(
                "nested too deeply",
                lambda body, limit: _json(route.any_json(body)).replace(mark, deep),
                400,
                detail="nested too deeply",
            )
        )
    # A model whose fields are all optional (a partial update) is probed at its first field.
    first = (required_fields(route.model) or [f.name for f in msgspec.structs.fields(route.model)])[0]
    cases.append(
        Case(
            "nested deeply in a typed field",
            lambda body, limit: _json({**body, first: DEEP_MARK}).replace(mark, deep_object),
            422,
            first,
        )
    )
    for name in required_fields(route.model):
        cases.append(
            Case(
                f"missing {name}",
                lambda body, limit, name=name: _json({k: v for k, v in body.items() if k != name}),
                422,
                name,
            )
        )
    for wrong in route.wrong + UNSTORABLE.get(key, ()):
        cases.append(
            Case(
                f"wrong type: {wrong.name}",
                lambda body, limit, wrong=wrong: _json({**body, **wrong.overrides}),
                422,
                wrong.field,
            )
        )
    return cases


ALL_CASES = [
    pytest.param(key, case, id=f"{key[0]} {key[1]} | {case.name}")
    for key, route in ROUTES.items()
    for case in _cases(key, route)
]


# A refused request changes nothing; what the access log may gain is the record that the patient's
# data was reached before the refusal ('failed', written after the rollback), never an 'allowed'.
_COUNTED = {"access_log": "access_log where outcome <> 'failed'"}


async def row_counts(db) -> dict[str, int]:
    sql = " union all ".join(f"select '{t}' as t, count(*) as n from {_COUNTED.get(t, t)}" for t in TABLES)
    return {row["t"]: row["n"] for row in await db.fetch(sql)}


def assert_problem(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code} != {status}: {response.text}"
    assert response.headers["content-type"].split(";")[0].strip() == "application/problem+json"
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def body_limit(route: BodyRoute, settings) -> int:
    return route.max_body or settings.max_body_bytes


def test_table_covers_every_route_with_a_body(client, settings):
    found: dict[tuple[str, str], Any] = {}
    for route, handler in routes_and_handlers(client.app):
        if handler.parsed_data_field is None:
            continue
        for method in handler.http_methods:
            found[(method, route.path)] = handler
    assert sorted(found) == sorted(ROUTES), "every route with a JSON body needs a row in ROUTES"
    for key, handler in found.items():
        assert ROUTES[key].model is handler.parsed_data_field.annotation, key
        # The limits the cases below probe are the ones the app enforces.
        assert handler.resolve_request_max_body_size() == body_limit(ROUTES[key], settings), key
    assert settings.max_body_bytes == 64 * 1024


@pytest.mark.parametrize(("key", "case"), ALL_CASES)
async def test_bad_body_is_a_problem_and_writes_nothing(client, world, db, settings, key, case):
    route = ROUTES[key]
    actor = getattr(world, route.actor)
    before = await row_counts(db)
    response = await client.request(
        key[0],
        route.path(world),
        content=case.content(route.body(world), body_limit(route, settings)),
        headers={**actor.headers, "Content-Type": "application/json"},
    )
    problem = assert_problem(response, case.status)
    if case.field is not None:
        assert problem["errors"][0]["field"] == case.field, problem
        assert problem["errors"][0]["message"]
    if case.detail is not None:
        assert case.detail in problem["detail"], problem
    assert await row_counts(db) == before


@pytest.mark.parametrize("key", list(ROUTES), ids=[f"{m} {p}" for m, p in ROUTES])
async def test_empty_body_without_content_type_is_400(client, world, db, key):
    route = ROUTES[key]
    before = await row_counts(db)
    response = await client.request(key[0], route.path(world), headers=getattr(world, route.actor).headers)
    assert_problem(response, 400)
    assert await row_counts(db) == before


async def test_over_limit_stream_is_refused_without_reading_it(client, world, db, settings):
    """No content-length, chunks of invalid JSON: the server answers 413 just past the limit, so
    nothing beyond it is buffered or parsed; the rest is then read and dropped, so that a client
    still sending reads the 413 rather than a connection reset (backend/bodies.py)."""
    chunk = b"{" * 8192
    total_chunks = 64  # 512 KiB offered, 8x the limit
    pulled = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        if pulled > total_chunks:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunk, "more_body": pulled < total_chunks}

    messages: list[dict[str, Any]] = []
    pulled_when_answered = 0

    async def send(message: dict[str, Any]) -> None:
        nonlocal pulled_when_answered
        if message["type"] == "http.response.start":
            pulled_when_answered = pulled
        messages.append(message)

    scope = http_scope("POST", f"{API}/patients", world.clin_u1, [(b"content-type", b"application/json")])
    before = await row_counts(db)
    # The app runs on the test client's portal (its own event loop), where its pool lives.
    client.blocking_portal.call(client.app, scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    assert start["status"] == 413
    assert dict(start["headers"])[b"content-type"].split(b";")[0] == b"application/problem+json"
    body = json.loads(b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body"))
    assert body["status"] == 413
    assert pulled_when_answered == settings.max_body_bytes // len(chunk) + 1
    assert pulled == total_chunks  # drained to its end before the connection closes
    assert await row_counts(db) == before


# --- path and query parameters -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "actor"),
    [
        ("GET", f"{API}/patients/not-a-uuid", "clin_u1"),
        ("GET", f"{API}/patients/1", "clin_u1"),
        ("GET", f"{API}/patients/not-a-uuid/access-log", "clin_u1"),
        ("POST", f"{API}/patients/not-a-uuid/enrolments", "clin_u1"),
        ("POST", f"{API}/patients/not-a-uuid/activation-codes", "clin_u1"),
        ("POST", f"{API}/patients/not-a-uuid/enrolments/{UNKNOWN_UUID}/end", "clin_u1"),
        ("GET", f"{API}/organisations/not-a-uuid/units", "admin"),
        ("POST", f"{API}/organisations/not-a-uuid/units", "admin"),
        ("POST", f"{API}/alerts/not-a-uuid/acknowledge", "clin_u1"),
        ("GET", f"{API}/patients/not-a-uuid/rules", "clin_u1"),
    ],
)
async def test_non_uuid_path_id_is_404_problem(client, world, db, method, path, actor):
    before = await row_counts(db)
    kwargs: dict[str, Any] = {"headers": getattr(world, actor).headers}
    if method == "POST":
        kwargs["json"] = {"name": "x", "programme": "copd", "unit_id": world.unit_u1, "role": "patient"}
    assert_problem(await client.request(method, path, **kwargs), 404)
    assert await row_counts(db) == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=-1", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("limit=101", "limit"),
        ("limit=", "limit"),
        ("before=0", "before"),
        ("before=x", "before"),
    ],
)
async def test_bad_access_log_query_is_422_problem(client, world, db, query, field):
    before = await row_counts(db)
    response = await client.get(f"{API}/patients/{world.twin_a}/access-log?{query}", headers=world.clin_u1.headers)
    problem = assert_problem(response, 422)
    assert [e["field"] for e in problem["errors"]] == [field]
    # Refused before the handler ran: not even the read is logged.
    assert await row_counts(db) == before


async def test_good_access_log_query_still_works(client, world):
    """The control for the cases above: the same route with sane parameters answers 200."""
    response = await client.get(f"{API}/patients/{world.twin_a}/access-log?limit=1", headers=world.clin_u1.headers)
    assert response.status_code == 200
    assert len(response.json()["items"]) == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        # RFC 3339 with an offset only: no Unix seconds, no local time (docs/api.md, "Conventions").
        ("since=0", "since"),
        ("since=1700000000", "since"),
        ("since=2026-11-22T07:00:00", "since"),
        ("until=2026-11-22", "until"),
        ("until=abc", "until"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
    ],
)
async def test_bad_measurement_query_is_422_problem(client, world, db, query, field):
    before = await row_counts(db)
    response = await client.get(f"{API}/patients/{world.twin_a}/measurements?{query}", headers=world.guardian.headers)
    problem = assert_problem(response, 422)
    assert [e["field"] for e in problem["errors"]] == [field]
    assert await row_counts(db) == before


@pytest.mark.parametrize("query", ["unit_id=abc", "unit_id=1", f"unit_id={UNKNOWN_UUID[:-1]}"])
async def test_bad_unit_id_query_is_422_problem(client, world, db, query):
    before = await row_counts(db)
    problem = assert_problem(await client.get(f"{API}/patients?{query}", headers=world.clin_u1.headers), 422)
    assert [e["field"] for e in problem["errors"]] == ["unit_id"]
    assert await row_counts(db) == before


# --- items decoded one by one ----------------------------------------------------------------------


async def test_bad_measurement_items_are_rejected_strictly_and_store_nothing(client, world, db):
    """Measurement items are decoded one at a time (one bad item never blocks the others), but with
    the same strictness: no `"88"` for 88, no `0` for a time, no time without an offset."""
    good = {"type": "body_weight", "value": 2100, "unit": "g", "measured_at": "2026-11-22T07:00:00+01:00"}
    items = [
        ({"id": "0b6c1c3e-1111-4a4a-8b8b-000000000001", **good, "value": "2100"}, "value"),
        ({"id": "0b6c1c3e-1111-4a4a-8b8b-000000000002", **good, "measured_at": 0}, "measured_at"),
        ({"id": "0b6c1c3e-1111-4a4a-8b8b-000000000003", **good, "measured_at": "2026-11-22T07:00:00"}, "measured_at"),
        ({"id": "0b6c1c3e-1111-4a4a-8b8b-000000000004", **good, "is_admin": True}, "is_admin"),
        ({"id": "0b6c1c3e-1111-4a4a-8b8b-000000000005", **good, "components": {"systolic": "120"}}, "components"),
        ({"id": 5, **good}, "id"),
        (good, "id"),
    ]
    before = await row_counts(db)
    response = await client.post(
        f"{API}/patients/{world.twin_a}/measurements",
        json={"measurements": [item for item, _ in items]},
        headers=world.guardian.headers,
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * len(items)
    # The field named first, less any path into it ("components[...]" for a dict's value).
    assert [re.split(r"[.\[]", r["errors"][0]["field"])[0] for r in results] == [name for _, name in items]
    after = await row_counts(db)
    assert after["measurements"] == before["measurements"]
