from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Response, Router, get, post, put
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter

from alerting import news2_series, overrides, overview, worklist
from alerting.schemas import (
    Alert,
    AlertEventList,
    AlertList,
    AlertStatus,
    EffectiveRule,
    News2Series,
    PatientAlertList,
    ResolveRequest,
    RuleHistory,
    RuleList,
    RuleOverrideIn,
    UnitOverview,
)
from backend.access.service import Access, SignedIn
from backend.db import DbConnection
from backend.decoding import parse_instant

CLINICIAN = {"access": Access.CLINICIAN}
PATIENT = {"access": Access.PATIENT}


@get("/alerts", opt=CLINICIAN)
async def list_alerts(
    conn: DbConnection,
    caller: SignedIn,
    status: FromQuery[AlertStatus | None] = None,
    unit_id: FromQuery[UUID | None] = None,
    patient_id: FromQuery[UUID | None] = None,
    cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=worklist.MAX_PAGE)] = 100,
) -> AlertList:
    """The worklist: alerts of the patients of your units (or of one unit or patient), highest
    severity first, then oldest first. Unresolved (open and acknowledged) unless `status` says."""
    return await worklist.list_alerts(
        conn, caller, status=status, unit_id=unit_id, patient_id=patient_id, cursor=cursor, limit=limit
    )


@get("/alerts/{alert_id:uuid}/events", opt=CLINICIAN)
async def list_alert_events(
    alert_id: FromPath[UUID],
    conn: DbConnection,
    caller: SignedIn,
    after: Annotated[int, QueryParameter(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, QueryParameter(ge=1, le=worklist.MAX_PAGE)] = 200,
) -> AlertEventList:
    """Who did what when: the alert's history, oldest first. Raised and each new breach (with the
    evidence and whether it arrived late), acknowledged and resolved (by whom, with the note),
    escalations (to whom). For clinicians of the patient's units; an alert of any other patient
    answers 404, exactly like one that does not exist. Pages with `after` (`next_after`)."""
    return await worklist.list_alert_events(conn, caller, alert_id, after, limit)


@get("/units/{unit_id:uuid}/overview", opt=CLINICIAN)
async def unit_overview(unit_id: FromPath[UUID], conn: DbConnection, caller: SignedIn) -> UnitOverview:
    """The shift's overview of one of your units: each patient enrolled now with their unresolved
    alerts and the latest value of each measurement type (late, stale), most urgent first."""
    return await overview.unit_overview(conn, caller, unit_id)


@post("/alerts/{alert_id:uuid}/acknowledge", opt=CLINICIAN, status_code=200)
async def acknowledge_alert(alert_id: FromPath[UUID], conn: DbConnection, caller: SignedIn) -> Alert:
    """You are on it: the alert stops notifying. Acknowledging again changes nothing."""
    return await worklist.acknowledge_alert(conn, caller, alert_id)


@post("/alerts/{alert_id:uuid}/resolve", opt=CLINICIAN, status_code=200)
async def resolve_alert(
    alert_id: FromPath[UUID], data: JSONBody[ResolveRequest], conn: DbConnection, caller: SignedIn
) -> Alert:
    """Close the alert with a note; a new breach of its rule opens a new alert."""
    return await worklist.resolve_alert(conn, caller, alert_id, data.note)


@get("/patients/{patient_id:uuid}/alerts", opt=PATIENT)
async def list_patient_alerts(
    patient_id: FromPath[UUID],
    conn: DbConnection,
    caller: SignedIn,
    limit: Annotated[int, QueryParameter(ge=1, le=worklist.MAX_PAGE)] = 50,
) -> PatientAlertList:
    """The patient's alerts as the patient or parent sees them (plain-language text), newest first."""
    return await worklist.list_patient_alerts(conn, caller, patient_id, limit)


@get("/patients/{patient_id:uuid}/news2", opt=PATIENT)
async def early_warning_scores(
    patient_id: FromPath[UUID],
    conn: DbConnection,
    caller: SignedIn,
    since: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> News2Series:
    """Clinicians: the patient's NEWS2 scores as the rules compute them (NEWS2 is scored when data
    arrives and never stored), one point per instant a NEWS2 parameter was measured, from `since`
    (RFC 3339; default two weeks back, at most 31 days) to now, oldest first. Each point scores the
    latest value of each parameter within the patient's NEWS2 rule window before it, with the
    SpO2 scale and home oxygen of the patient's parameters now. Empty for a patient no NEWS2 rule
    applies to."""
    return await news2_series.news2_series(conn, caller, patient_id, parse_instant("since", since))


@get("/patients/{patient_id:uuid}/rules", opt=PATIENT)
async def list_rules(patient_id: FromPath[UUID], conn: DbConnection, caller: SignedIn) -> RuleList:
    """The rules that apply to the patient now: programme defaults, or this patient's overrides."""
    return await overrides.list_rules(conn, caller, patient_id)


@put("/patients/{patient_id:uuid}/rules/{code:str}", opt=PATIENT, status_code=200)
async def set_rule(
    patient_id: FromPath[UUID],
    code: FromPath[str],
    data: JSONBody[RuleOverrideIn],
    conn: DbConnection,
    caller: SignedIn,
    if_match: Annotated[str | None, HeaderParameter(name="If-Match", max_length=200)] = None,
) -> Response[EffectiveRule]:
    """Override one rule for this patient, with a reason (and optionally an expiry). Safety floors
    can be tightened, never loosened, lowered or switched off. Params must fit the rule kind's
    schema (types, bounds, known measurement types and forms). Send `If-Match: "<version>"` (the
    rule's `version`, also the answer's `ETag`) and a rule changed by someone else since answers
    412 instead of being overwritten."""
    rule = await overrides.set_rule(conn, caller, patient_id, code, data, if_match=if_match)
    return Response(rule, headers={"ETag": f'"{rule.version}"'})


@get("/patients/{patient_id:uuid}/rules/{code:str}/history", opt=PATIENT)
async def rule_history(
    patient_id: FromPath[UUID], code: FromPath[str], conn: DbConnection, caller: SignedIn
) -> RuleHistory:
    """Every override of the rule for this patient, newest first: who, when, why, until when."""
    return await overrides.rule_history(conn, caller, patient_id, code)


router = Router(
    path="/",
    tags=["alerts"],
    route_handlers=[
        list_alerts,
        list_alert_events,
        unit_overview,
        acknowledge_alert,
        resolve_alert,
        list_patient_alerts,
        early_warning_scores,
        list_rules,
        set_rule,
        rule_history,
    ],
)
