"""Demo data: a hospital, a municipality, clinicians, patients of every programme (twins, COPD on
home oxygen, home haemo- and peritoneal dialysis) and their recent registrations, which show the
rules a clinician would look for.

Staff passwords are fixed and documented so a demo can be followed from the README; that is why
seeding is refused in production mode. Activation codes are new on every run (they are single-use).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import asyncpg
import msgspec

from alerting.notify import policies as notification_policies
from alerting.notify.schemas import NotificationPolicyIn
from alerting.service import evaluate_and_record
from backend.access.service import Caller, Principal, VisiblePatient
from backend.clock import Clock
from backend.forms.schemas import FormResponseIn
from backend.forms.service import record_form_response
from backend.identity import service as identity
from backend.identity.service import queries as identity_queries
from backend.measurements.catalogue import load_catalogue
from backend.measurements.schemas import MeasurementIn
from backend.measurements.service import store_measurements
from backend.organisation import service as organisation
from backend.organisation.schemas import OrganisationCreate, UnitCreate, UserCreate
from backend.patients import service as patients
from backend.patients.schemas import ActivationCodeCreate, EnrolmentChange, EnrolmentCreate, PatientCreate
from backend.security import Secrets
from backend.settings import Settings

DEMO_HOSPITAL = "Heima demosykehus"
DEMO_PASSWORD = "heima-demo-password"
DEMO_GUARDIAN = "Forelder Nordmann"
# username, role, profession, units (by key), name: created once, with DEMO_PASSWORD.
DEMO_STAFF = (
    ("admin", "admin", None, (), "Demo administrator"),
    ("nurse.neo", "clinician", "nurse", ("neonatal",), "Nina Neonatal (nurse)"),
    ("doctor.neo", "clinician", "physician", ("neonatal",), "Nils Neonatal (physician)"),
    ("nurse.lung", "clinician", "nurse", ("pulmonary",), "Lise Lunge (nurse)"),
    ("nurse.renal", "clinician", "nurse", ("renal",), "Rita Nyre (nurse)"),
    ("nurse.home", "clinician", "nurse", ("home_care",), "Kari Kommune (municipal nurse)"),
)


@dataclass
class DemoReport:
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # username, password, who
    codes: list[tuple[str, str, str]] = field(default_factory=list)  # code, role, for whom
    already_seeded: bool = False

    def lines(self) -> list[str]:
        out = ["Staff logins (POST /api/v1/auth/login):"]
        out += [f"  {u:<22} {p:<22} {who}" for u, p, who in self.logins]
        out.append("Activation codes for phones (POST /api/v1/auth/activate), single use:")
        out += [f"  {c:<16} {role:<9} {who}" for c, role, who in self.codes]
        return out


async def seed_demo(conn: asyncpg.Connection, settings: Settings, secrets: Secrets, clock: Clock) -> DemoReport:
    if settings.is_production:
        raise RuntimeError("demo data is never seeded in production mode")
    report = DemoReport()
    async with conn.transaction():
        ids = await conn.fetchrow(
            """select u.id as unit_id, o.id as org_id from organisations o join units u on u.organisation_id = o.id
               where o.name = $1 order by u.name limit 1""",
            DEMO_HOSPITAL,
        )
        if ids is None:
            await _seed_organisations_and_patients(conn, secrets, clock, report)
        else:
            report.already_seeded = True
            await _list_existing_staff(conn, report)
        await record_recent_week(conn, clock)
        await _issue_codes(conn, secrets, settings, clock, report)
    return report


def _demo_policies(
    neonatal: uuid.UUID, pulmonary: uuid.UUID, renal: uuid.UUID, home_care: uuid.UUID, users: dict
) -> dict:
    """Who is told, and when, in each demo unit (alerting/notify/policy.py): the hospital units
    are staffed by day and name a nurse on call for urgent alerts at night; high alerts always go
    to everyone at once, low ones wait for the morning. The phone numbers are not real."""
    night = {"high": {"who": "everyone"}, "medium": {"who": "on_call"}}

    def policy(staffed: dict, on_call: str | None, within: int, reason: str) -> NotificationPolicyIn:
        body = {
            "staffed": staffed,
            "out_of_hours": night if on_call else {},
            "on_call": [str(users[on_call].id)] if on_call else [],
            "phone": "+47 00 00 00 00",
            "contact_within_hours": within,
            "reason": reason,
        }
        return msgspec.convert(body, NotificationPolicyIn)

    weekdays = {"start": "08:00", "end": "15:30", "days": [1, 2, 3, 4, 5]}
    return {
        neonatal: policy(
            {"start": "07:30", "end": "22:00"}, "nurse.neo", 4, "Demo: the home team by day, the ward's nurse at night"
        ),
        pulmonary: policy(weekdays, "nurse.lung", 4, "Demo: the COPD team on weekdays"),
        renal: policy(weekdays, "nurse.renal", 2, "Demo: the dialysis unit on weekdays"),
        home_care: policy({}, None, 1, "Demo: municipal home nursing around the clock"),
    }


async def _list_existing_staff(conn: asyncpg.Connection, report: DemoReport) -> None:
    """A later start prints the logins again: the demo staff still there and not disabled."""
    usernames = [username for username, *_ in DEMO_STAFF]
    rows = await conn.fetch(
        "select username, display_name from users where username = any($1::text[]) and disabled_at is null",
        usernames,
    )
    names = {row["username"]: row["display_name"] for row in rows}
    report.logins = [(u, DEMO_PASSWORD, names[u]) for u in usernames if u in names]


async def _seed_organisations_and_patients(
    conn: asyncpg.Connection, secrets: Secrets, clock: Clock, report: DemoReport
) -> None:
    now = clock()
    hospital = await organisation.create_organisation(conn, OrganisationCreate(DEMO_HOSPITAL, "hospital"), now)
    municipality = await organisation.create_organisation(
        conn, OrganisationCreate("Heima demokommune", "municipality"), now
    )
    # The neonatal unit promises families a call within 4 hours (the family app says so).
    neonatal = await organisation.create_unit(conn, hospital.id, UnitCreate("Nyfødtintensiv", 4), now)
    pulmonary = await organisation.create_unit(conn, hospital.id, UnitCreate("Lungemedisin"), now)
    renal = await organisation.create_unit(conn, hospital.id, UnitCreate("Nyremedisin"), now)
    home_care = await organisation.create_unit(conn, municipality.id, UnitCreate("Hjemmesykepleien"), now)

    unit_ids = {"neonatal": neonatal.id, "pulmonary": pulmonary.id, "renal": renal.id, "home_care": home_care.id}
    users = {}
    for username, role, profession, units, name in DEMO_STAFF:
        user = await organisation.create_user(
            conn,
            secrets,
            UserCreate(username, DEMO_PASSWORD, name, role, profession, [unit_ids[u] for u in units]),
            now,
        )
        users[username] = user
        report.logins.append((username, DEMO_PASSWORD, name))

    def caller_for(username: str) -> Caller:
        user = users[username]
        role = "admin" if username == "admin" else "clinician"
        principal = Principal(user.id, role, user.display_name, uuid.uuid4(), tuple(user.unit_ids), ())
        return Caller(principal=principal, now=now, request_id="seed-demo")

    for unit_id, policy in _demo_policies(neonatal.id, pulmonary.id, renal.id, home_care.id, users).items():
        await notification_policies.set_policy(conn, caller_for("admin"), unit_id, policy)

    infant_birth = now.date() - timedelta(days=30)
    enrolments = [
        (
            "nurse.neo",
            "Tvilling A Nordmann",
            infant_birth,
            neonatal.id,
            "premature-home",
            {"birth_weight_g": 1650, "gestational_age_at_birth_weeks": 31, "prescribed_ml_per_kg_day": 160},
        ),
        (
            "nurse.neo",
            "Tvilling B Nordmann",
            infant_birth,
            neonatal.id,
            "premature-home",
            {"birth_weight_g": 1580, "gestational_age_at_birth_weeks": 31, "prescribed_ml_per_kg_day": 165},
        ),
        (
            "nurse.lung",
            "Ola Hansen",
            date(1951, 3, 14),
            pulmonary.id,
            "copd",
            {"spo2_scale": 2, "spo2_target_low": 88, "spo2_target_high": 92},
        ),
        (
            "nurse.renal",
            "Eva Berg",
            date(1968, 9, 2),
            renal.id,
            "home-dialysis",
            {"dry_weight_kg": 71.5, "modality": "haemodialysis", "session_days": ["mon", "wed", "fri"]},
        ),
        ("nurse.renal", "Per Dahl", date(1959, 5, 23), renal.id, "home-dialysis", {"dry_weight_kg": 82.0}),
    ]
    twins = []
    for username, name, birth, unit_id, programme, parameters in enrolments:
        caller = caller_for(username)
        patient = await patients.register_patient(conn, caller, PatientCreate(name, birth, unit_id))
        # Followed since before the registrations below, so all of them count (tertial report).
        enrolment = EnrolmentCreate(programme, unit_id, parameters, now - timedelta(days=_HISTORY_DAYS + 1))
        created = await patients.enrol_patient(conn, caller, patient.id, enrolment)
        if programme == "premature-home":
            twins.append(patient.id)
        if name == "Ola Hansen":
            # On home oxygen since this morning: the unit changes the parameter with a reason, kept
            # in the enrolment's history, and NEWS2 scores his readings on oxygen from then on.
            change = EnrolmentChange(
                reason="Startet LTOT 2 L/min etter poliklinisk kontroll", parameters={"home_oxygen": True}
            )
            await patients.change_parameters(conn, caller, patient.id, created.id, change)
    # One parent of both twins: every code issued for them signs in this same guardian.
    guardian_id = uuid.uuid4()
    await conn.execute(identity_queries.insert_person, guardian_id, "guardian", DEMO_GUARDIAN)
    for twin in twins:
        await conn.execute(identity_queries.insert_guardianship, guardian_id, twin, now)


# Registration ids are derived from the patient, type and time, so that topping up the week on a
# later start sends the days already there as harmless duplicates and adds only the new ones.
_DEMO_IDS = uuid.UUID("2d1c9f0e-4b7a-4f7e-9a51-0c6f3e1d2b8a")
_WEEK = 7
_HISTORY_DAYS = 14  # the COPD baseline rule reads two weeks


async def record_recent_week(conn: asyncpg.Connection, clock: Clock) -> None:
    """The recent registrations of every demo patient, whatever day the demo starts, run through
    the rules as a phone's upload would be, so the worklist shows what they raised: twin A's large
    vomits, twin B's fever, few feeds and wet nappies yesterday; Ola's SpO2 below his own target and
    baseline and all three flare-up signs; Eva's weight gain since her last haemodialysis with
    breathlessness; Per's ultrafiltration well below his week's."""
    now = clock()
    rows = await conn.fetch(
        """select p.id, p.display_name, p.birth_date, p.time_zone, e.programme, e.parameters, e.unit_id,
                  (select m.user_id from unit_memberships m join users u on u.id = m.user_id
                   where m.unit_id = e.unit_id and u.role = 'clinician' order by u.username limit 1) as nurse_id,
                  (select g.guardian_id from guardianships g where g.patient_id = p.id
                   order by g.created_at limit 1) as guardian_id
           from patients p join enrolments e on e.patient_id = p.id and e.ended_at is null
           join units u on u.id = e.unit_id join organisations o on o.id = u.organisation_id
           where o.name = $1 order by p.display_name""",
        DEMO_HOSPITAL,
    )
    catalogue = await load_catalogue(conn)
    for row in rows:
        # A parent registers for the twins; the unit's nurse stands in for the adults' phones.
        if row["guardian_id"] is not None:
            principal = Principal(row["guardian_id"], "guardian", DEMO_GUARDIAN, uuid.uuid4(), (), (row["id"],))
        else:
            principal = Principal(row["nurse_id"], "clinician", "seed-demo", uuid.uuid4(), (row["unit_id"],), ())
        recorder = Caller(principal=principal, now=now, request_id="seed-demo")
        patient = VisiblePatient(birth_date=row["birth_date"], time_zone=row["time_zone"])
        # In order: the trend rules judge each batch against what is stored before it.
        for batch in _BATCHES[row["programme"]](row, now):
            stored = await store_measurements(conn, recorder, row["id"], patient, batch, catalogue)
            await evaluate_and_record(conn, recorder, row["id"], measurements=stored.created)
        for response in _forms(row, now):
            await record_form_response(conn, recorder, row["id"], response, catalogue)


def _item(
    patient_id: uuid.UUID, type_: str, unit: str, at: datetime, value: float | None, **fields: object
) -> MeasurementIn:
    ident = uuid.uuid5(_DEMO_IDS, f"{patient_id}/{type_}/{at.isoformat()}")
    return MeasurementIn(ident, type_, unit, at, value, **fields)  # type: ignore[arg-type]


def _form(patient_id: uuid.UUID, form: str, version: int, at: datetime, answers: dict) -> FormResponseIn:
    ident = uuid.uuid5(_DEMO_IDS, f"{patient_id}/{form}/{at.isoformat()}")
    return FormResponseIn(ident, form, version, at, answers)


def _days(now: datetime, days: int = _WEEK) -> list[tuple[int, datetime]]:
    """(days ago, 06:00 UTC that day) for each of the last `days` days, oldest first."""
    return [
        (days_ago, (now - timedelta(days=days_ago)).replace(hour=6, minute=0, second=0, microsecond=0))
        for days_ago in range(days, 0, -1)
    ]


def _infant_week(row: asyncpg.Record, now: datetime) -> list[list[MeasurementIn]]:
    """A weight each morning gaining ~28 g a day (by the calendar, so the same day always weighs
    the same), eight feeds a day alternating tube and bottle and six wet nappies. Twin A vomited
    three large feeds since yesterday; twin B had a fever, only 7 feeds and 3 wet nappies
    yesterday."""
    twin_b = row["display_name"].startswith("Tvilling B")
    birth_weight = row["parameters"]["birth_weight_g"]
    items = []
    for days_ago, morning in _days(now):
        yesterday = days_ago == 1
        age_days = (morning.date() - row["birth_date"]).days
        items.append(_item(row["id"], "body_weight", "g", morning, float(birth_weight + 28 * age_days)))
        for feed in range(7 if twin_b and yesterday else 8):
            at = morning + timedelta(hours=3 * feed)
            route = "tube" if feed % 2 else "bottle"
            items.append(_item(row["id"], "feeding_volume", "mL", at, 48.0, attributes={"route": route}))
        nappies = 3.0 if twin_b and yesterday else 6.0
        items.append(_item(row["id"], "wet_nappies", "{count}", morning + timedelta(hours=14), nappies))
        celsius = 38.4 if twin_b and yesterday else 36.9
        items.append(
            _item(
                row["id"],
                "body_temperature",
                "Cel",
                morning + timedelta(hours=2),
                celsius,
                attributes={"site": "axillary"},
            )
        )
    if not twin_b:
        day = now.replace(minute=0, second=0, microsecond=0)
        items += [
            _item(
                row["id"],
                "vomiting",
                "{episodes}",
                day - timedelta(hours=hours),
                1.0,
                attributes={"size": "large", "colour": "milky"},
            )
            for hours in (20, 9, 2)
        ]
    return [items]


def _copd_fortnight(row: asyncpg.Record, now: datetime) -> list[list[MeasurementIn]]:
    """Two weeks of morning and evening readings, SpO2 around 91 % on his home oxygen; then, in a
    batch of its own, 87 % this morning: below his target (88-92) and his own baseline."""
    items = []
    for days_ago, morning in _days(now, _HISTORY_DAYS):
        for hours in (2, 12):
            at = morning + timedelta(hours=hours)
            items += [
                _item(row["id"], "spo2", "%", at, float(90 + days_ago % 3), attributes={"on_oxygen": True}),
                _item(row["id"], "heart_rate", "/min", at, 84.0 + days_ago % 5),
                _item(row["id"], "respiratory_rate", "/min", at, 18.0),
                _item(row["id"], "body_temperature", "Cel", at, 37.0, attributes={"site": "oral"}),
                _item(
                    row["id"], "blood_pressure", "mm[Hg]", at, None, components={"systolic": 134.0, "diastolic": 82.0}
                ),
            ]
    today = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    return [items, [_item(row["id"], "spo2", "%", today, 87.0)]]


def _dialysis_week(row: asyncpg.Record, now: datetime) -> list[list[MeasurementIn]]:
    """A morning weight and blood pressure each day. Haemodialysis: the weight after the last
    session two days ago. Peritoneal dialysis: net ultrafiltration around 900 mL, 300 yesterday."""
    dry = row["parameters"]["dry_weight_kg"]
    haemo = row["parameters"].get("modality") == "haemodialysis"
    volumes = [900.0, 950.0, 850.0, 900.0, 1000.0, 880.0, 300.0]
    items = []
    for (days_ago, morning), ml in zip(_days(now), volumes, strict=True):
        at = morning + timedelta(hours=1)
        items += [
            _item(row["id"], "body_weight", "kg", at, round(dry + 0.3 + 0.1 * (days_ago % 3), 1)),
            _item(row["id"], "blood_pressure", "mm[Hg]", at, None, components={"systolic": 142.0, "diastolic": 88.0}),
        ]
        if not haemo:
            items.append(_item(row["id"], "ultrafiltration_volume", "mL", at, ml))
    if haemo:
        last_session = (now - timedelta(days=2)).replace(hour=18, minute=0, second=0, microsecond=0)
        items.append(
            _item(row["id"], "body_weight", "kg", last_session, dry + 0.5, attributes={"timing": "post_dialysis"})
        )
    return [items]


def _forms(row: asyncpg.Record, now: datetime) -> list[FormResponseIn]:
    """Today's diary: Ola's with all three flare-up signs; Eva's haemodialysis session form, 3.6 kg
    above her last post-dialysis weight and more breathless."""
    at = now.replace(minute=0, second=0, microsecond=0) - timedelta(minutes=30)
    if row["programme"] == "copd":
        answers = {
            "more_breathless": True,
            "sputum_colour_changed": True,
            "sputum_volume_increased": True,
            "new_confusion": False,
        }
        return [_form(row["id"], "copd-symptom-diary", 1, at, answers)]
    if row["programme"] == "home-dialysis" and row["parameters"].get("modality") == "haemodialysis":
        answers = {"pre_weight": 75.6, "breathless": True, "oedema": False, "dizzy": False}
        return [_form(row["id"], "hd-session", 1, at, answers)]
    return []


_BATCHES = {"premature-home": _infant_week, "copd": _copd_fortnight, "home-dialysis": _dialysis_week}


async def _issue_codes(
    conn: asyncpg.Connection, secrets: Secrets, settings: Settings, clock: Clock, report: DemoReport
) -> None:
    """Fresh codes: the twins' parent (one guardian for both), and each adult patient."""
    now = clock()
    rows = await conn.fetch(
        """select p.id, p.display_name, e.programme, e.unit_id, p.created_by
           from patients p join enrolments e on e.patient_id = p.id and e.ended_at is null
           join units u on u.id = e.unit_id join organisations o on o.id = u.organisation_id
           where o.name = $1 order by p.display_name""",
        DEMO_HOSPITAL,
    )
    ttl = timedelta(hours=settings.activation_code_ttl_hours)
    for row in rows:
        if row["programme"] == "premature-home":
            if not row["display_name"].startswith("Tvilling A"):
                continue  # the guardian of twin A is the guardian of twin B
            # The parent's account exists (it registered the week of feeds): a code never signs
            # in an existing account, so this is a device code of that account, as if made on
            # the parent's own signed-in phone.
            guardian_id = await conn.fetchval(
                "select guardian_id from guardianships where patient_id = $1 limit 1", row["id"]
            )
            code = await identity.issue_device_code(conn, secrets, guardian_id, None, now, ttl)
            report.codes.append((code.code, "guardian", "parent of both twins"))
            continue
        account = await conn.fetchval("select user_id from patients where id = $1", row["id"])
        if account is not None:  # activated on an earlier run: a new phone of that account
            code = await identity.issue_device_code(conn, secrets, account, None, now, ttl)
        else:
            principal = Principal(row["created_by"], "clinician", "seed-demo", uuid.uuid4(), (row["unit_id"],), ())
            caller = Caller(principal=principal, now=now, request_id="seed-demo")
            request = ActivationCodeCreate("patient", row["display_name"])
            code = await patients.create_activation_code(conn, caller, secrets, ttl, row["id"], request)
        report.codes.append((code.code, "patient", row["display_name"]))
