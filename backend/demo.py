"""Demo data: a hospital, a municipality, clinicians, one patient per programme (twins included)
and a week of registrations for the twins.

Staff passwords are fixed and documented so a demo can be followed from the README; that is why
seeding is refused in production mode. Activation codes are new on every run (they are single-use).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import asyncpg

from alerting.service import evaluate_and_record
from backend.access.service import Caller, Principal
from backend.clock import Clock
from backend.identity import service as identity
from backend.identity.service import queries as identity_queries
from backend.measurements.catalogue import load_catalogue
from backend.measurements.schemas import MeasurementIn
from backend.measurements.service import store_measurements
from backend.organisation import service as organisation
from backend.organisation.schemas import OrganisationCreate, UnitCreate, UserCreate
from backend.patients import service as patients
from backend.patients.schemas import ActivationCodeCreate, EnrolmentCreate, PatientCreate
from backend.security import Secrets
from backend.settings import Settings

DEMO_HOSPITAL = "Heima demosykehus"
DEMO_PASSWORD = "heima-demo-password"
DEMO_GUARDIAN = "Forelder Nordmann"


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
        await record_recent_week(conn, clock)
        await _issue_codes(conn, secrets, settings, clock, report)
    return report


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

    staff = [
        ("admin", "admin", None, [], "Demo administrator"),
        ("nurse.neo", "clinician", "nurse", [neonatal.id], "Nina Neonatal (nurse)"),
        ("doctor.neo", "clinician", "physician", [neonatal.id], "Nils Neonatal (physician)"),
        ("nurse.lung", "clinician", "nurse", [pulmonary.id], "Lise Lunge (nurse)"),
        ("nurse.renal", "clinician", "nurse", [renal.id], "Rita Nyre (nurse)"),
        ("nurse.home", "clinician", "nurse", [home_care.id], "Kari Kommune (municipal nurse)"),
    ]
    users = {}
    for username, role, profession, units, name in staff:
        user = await organisation.create_user(
            conn, secrets, UserCreate(username, DEMO_PASSWORD, name, role, profession, units), now
        )
        users[username] = user
        report.logins.append((username, DEMO_PASSWORD, name))

    def caller_for(username: str) -> Caller:
        user = users[username]
        principal = Principal(user.id, "clinician", user.display_name, uuid.uuid4(), tuple(user.unit_ids), ())
        return Caller(principal=principal, now=now, request_id="seed-demo")

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
        ("nurse.lung", "Ola Hansen", date(1951, 3, 14), pulmonary.id, "copd", {"spo2_scale": 2}),
        ("nurse.renal", "Eva Berg", date(1968, 9, 2), renal.id, "home-dialysis", {"dry_weight_kg": 71.5}),
    ]
    twins = []
    for username, name, birth, unit_id, programme, parameters in enrolments:
        caller = caller_for(username)
        patient = await patients.register_patient(conn, caller, PatientCreate(name, birth, unit_id))
        # Followed since before the week of registrations below, so all of it counts (tertial report).
        enrolment = EnrolmentCreate(programme, unit_id, parameters, now - timedelta(days=_WEEK + 1))
        await patients.enrol_patient(conn, caller, patient.id, enrolment)
        if programme == "premature-home":
            twins.append(patient.id)
    # One parent of both twins: every code issued for them signs in this same guardian.
    guardian_id = uuid.uuid4()
    await conn.execute(identity_queries.insert_person, guardian_id, "guardian", DEMO_GUARDIAN)
    for twin in twins:
        await conn.execute(identity_queries.insert_guardianship, guardian_id, twin, now)


# Registration ids are derived from the patient, type and time, so that topping up the week on a
# later start sends the days already there as harmless duplicates and adds only the new ones.
_DEMO_IDS = uuid.UUID("2d1c9f0e-4b7a-4f7e-9a51-0c6f3e1d2b8a")
_WEEK = 7


async def record_recent_week(conn: asyncpg.Connection, clock: Clock) -> None:
    """The last week of registrations for every demo patient, whatever day the demo starts: a
    morning weight and eight feeds a day for the twins, twice-daily COPD readings, a daily dialysis
    record. Run through the rules as a phone's upload would be, so the worklist shows what the week
    raised (a fever of twin B yesterday)."""
    now = clock()
    rows = await conn.fetch(
        """select p.id, p.display_name, p.birth_date, e.programme, e.parameters, e.unit_id,
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
        week = _WEEKS[row["programme"]](row, now)
        # A parent registers for the twins; the unit's nurse stands in for the adults' phones.
        if row["guardian_id"] is not None:
            principal = Principal(row["guardian_id"], "guardian", DEMO_GUARDIAN, uuid.uuid4(), (), (row["id"],))
        else:
            principal = Principal(row["nurse_id"], "clinician", "seed-demo", uuid.uuid4(), (row["unit_id"],), ())
        recorder = Caller(principal=principal, now=now, request_id="seed-demo")
        stored = await store_measurements(conn, recorder, row["id"], week, catalogue)
        await evaluate_and_record(conn, recorder, row["id"], measurements=stored.created)


def _item(
    patient_id: uuid.UUID, type_: str, unit: str, at: datetime, value: float | None, **fields: object
) -> MeasurementIn:
    ident = uuid.uuid5(_DEMO_IDS, f"{patient_id}/{type_}/{at.isoformat()}")
    return MeasurementIn(ident, type_, unit, at, value, **fields)  # type: ignore[arg-type]


def _mornings(now: datetime) -> list[tuple[int, datetime]]:
    """(days ago, 06:00 UTC that day) for each of the last week's days, oldest first."""
    return [
        (days_ago, (now - timedelta(days=days_ago)).replace(hour=6, minute=0, second=0, microsecond=0))
        for days_ago in range(_WEEK, 0, -1)
    ]


def _infant_week(row: asyncpg.Record, now: datetime) -> list[MeasurementIn]:
    """A weight each morning gaining ~28 g a day (by the calendar, so the same day always weighs
    the same), and eight feeds a day alternating tube and bottle. Twin B had a fever yesterday."""
    birth_weight = row["parameters"]["birth_weight_g"]
    items = []
    for days_ago, morning in _mornings(now):
        age_days = (morning.date() - row["birth_date"]).days
        items.append(_item(row["id"], "body_weight", "g", morning, float(birth_weight + 28 * age_days)))
        for feed in range(8):
            at = morning + timedelta(hours=3 * feed)
            route = "tube" if feed % 2 else "bottle"
            items.append(_item(row["id"], "feeding_volume", "mL", at, 48.0, attributes={"route": route}))
        celsius = 38.4 if days_ago == 1 and row["display_name"].startswith("Tvilling B") else 36.9
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
    return items


def _copd_week(row: asyncpg.Record, now: datetime) -> list[MeasurementIn]:
    items = []
    for days_ago, morning in _mornings(now):
        for hours, low in ((2, days_ago == 2), (12, False)):
            at = morning + timedelta(hours=hours)
            items += [
                _item(row["id"], "spo2", "%", at, 84.0 if low else 93.0 - days_ago % 2),
                _item(row["id"], "heart_rate", "/min", at, 84.0 + days_ago),
                _item(row["id"], "respiratory_rate", "/min", at, 18.0),
                _item(row["id"], "body_temperature", "Cel", at, 37.0, attributes={"site": "oral"}),
                _item(
                    row["id"], "blood_pressure", "mm[Hg]", at, None, components={"systolic": 134.0, "diastolic": 82.0}
                ),
            ]
    return items


def _dialysis_week(row: asyncpg.Record, now: datetime) -> list[MeasurementIn]:
    dry = row["parameters"]["dry_weight_kg"]
    items = []
    for days_ago, morning in _mornings(now):
        at = morning + timedelta(hours=1)
        items += [
            _item(row["id"], "body_weight", "kg", at, round(dry + 0.3 + 0.1 * (days_ago % 3), 1)),
            _item(row["id"], "blood_pressure", "mm[Hg]", at, None, components={"systolic": 142.0, "diastolic": 88.0}),
            _item(row["id"], "ultrafiltration_volume", "mL", at, 650.0 + 50 * (days_ago % 4)),
        ]
    return items


_WEEKS = {"premature-home": _infant_week, "copd": _copd_week, "home-dialysis": _dialysis_week}


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
