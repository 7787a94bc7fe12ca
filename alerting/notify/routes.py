from __future__ import annotations

from uuid import UUID

from litestar import Router, get, put
from litestar.params import FromPath, JSONBody

from alerting.notify import family, policies
from alerting.notify.schemas import (
    FamilyNotificationSettings,
    FamilyNotificationSettingsIn,
    NotificationPolicyHistory,
    NotificationPolicyIn,
    NotificationPolicyOut,
)
from backend.access.service import Access, SignedIn
from backend.db import DbConnection
from backend.errors import problem_responses

# The unit's clinicians and administrators (checked per unit); patients and guardians get 403.
UNIT_STAFF = {"access": Access.SIGNED_IN}
# Patients and guardians (checked in the handler); others get 403.
FAMILY = {"access": Access.CARE}


@get("/units/{unit_id:uuid}/notification-policy", opt=UNIT_STAFF)
async def get_notification_policy(
    unit_id: FromPath[UUID], conn: DbConnection, caller: SignedIn
) -> NotificationPolicyOut:
    """Who is told of which alert, and when: the unit's staffed hours (local time in its zone),
    who gets each severity in and outside them (everyone, some professions, or the on-call list),
    how often an unacknowledged alert is pushed again and when it escalates, and what families
    are promised about when the unit answers. `source` says whether the unit set it or it is
    the default (staffed around the clock, everyone told of everything). High alerts always go
    out at once; low alerts outside staffed hours wait for the morning digest."""
    return await policies.get_policy(conn, caller, unit_id)


@put(
    "/units/{unit_id:uuid}/notification-policy",
    opt=UNIT_STAFF,
    status_code=200,
    responses=problem_responses({409: "Someone else set the unit's policy at the same moment."}),
)
async def set_notification_policy(
    unit_id: FromPath[UUID], data: JSONBody[NotificationPolicyIn], conn: DbConnection, caller: SignedIn
) -> NotificationPolicyOut:
    """Set the unit's whole policy with a reason (kept in its history). Repeat and escalation
    timers are 15 to 240 minutes; an on-call list names clinicians of the unit; a circle that
    names nobody who can be told falls back to everyone of the unit. `contact_within_hours` is
    the unit's promise to families (also the unit's `contact_within_hours`)."""
    return await policies.set_policy(conn, caller, unit_id, data)


@get("/units/{unit_id:uuid}/notification-policy/history", opt=UNIT_STAFF)
async def notification_policy_history(
    unit_id: FromPath[UUID], conn: DbConnection, caller: SignedIn
) -> NotificationPolicyHistory:
    """Every policy the unit has set, newest first: what, who, when, why, and until when."""
    return await policies.policy_history(conn, caller, unit_id)


@get("/me/notification-settings", opt=FAMILY)
async def get_family_settings(conn: DbConnection, caller: SignedIn) -> FamilyNotificationSettings:
    """Which pushes your phones get (patients and guardians): `seen` when your care team has
    acknowledged an alert, `handled` when it has handled your request to be contacted."""
    return await family.get_settings(conn, caller)


@put("/me/notification-settings", opt=FAMILY, status_code=200)
async def set_family_settings(
    data: JSONBody[FamilyNotificationSettingsIn], conn: DbConnection, caller: SignedIn
) -> FamilyNotificationSettings:
    """Turn a kind of push on or off (only the kinds named change)."""
    return await family.set_settings(conn, caller, data)


router = Router(
    path="/",
    tags=["notification"],
    route_handlers=[
        get_notification_policy,
        set_notification_policy,
        notification_policy_history,
        get_family_settings,
        set_family_settings,
    ],
)
