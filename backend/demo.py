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
import msgspec

from alerting.notify import policies as notification_policies
from alerting.notify.schemas import NotificationPolicyIn
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
            {"start": "07:30", "end": "22:00"}, "nurse.neo", 2, "Demo: the home team by day, the ward's nurse at night"
        ),
        pulmonary: policy(weekdays, "nurse.lung", 4, "Demo: the COPD team on weekdays"),
        renal: policy(weekdays, "nurse.renal", 2, "Demo: the dialysis unit on weekdays"),
        home_care: policy({}, None, 1, "Demo: municipal home nursing around the clock"),
    }


async def _seed_organisations_and_patients(
    conn: asyncpg.Connection, secrets: Secrets, clock: Clock, report: DemoReport
) -> None:
    now = clock()
    hospital = await organisation.create_organisation(conn, OrganisationCreate(DEMO_HOSPITAL, "hospital"), now)
    municipality = await organisation.create_organisation(
        conn, OrganisationCreate("Heima demokommune", "municipality"), now
    )
    neonatal = await organisation.create_unit(conn, hospital.id, UnitCreate("Nyfødtintensiv"), now)
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
        ("nurse.lung", "Ola Hansen", date(1951, 3, 14), pulmonary.id, "copd", {"spo2_scale": 2}),
        ("nurse.renal", "Eva Berg", date(1968, 9, 2), renal.id, "home-dialysis", {"dry_weight_kg": 71.5}),
    ]
    twins = []
    for username, name, birth, unit_id, programme, parameters in enrolments:
        caller = caller_for(username)
        patient = await patients.register_patient(conn, caller, PatientCreate(name, birth, unit_id))
        await patients.enrol_patient(conn, caller, patient.id, EnrolmentCreate(programme, unit_id, parameters))
        if programme == "premature-home":
            twins.append(patient.id)
    # One parent of both twins: every code issued for them signs in this same guardian.
    guardian_id = uuid.uuid4()
    await conn.execute(identity_queries.insert_person, guardian_id, "guardian", DEMO_GUARDIAN)
    for twin in twins:
        await conn.execute(identity_queries.insert_guardianship, guardian_id, twin, now)
    guardian = Caller(
        principal=Principal(guardian_id, "guardian", DEMO_GUARDIAN, uuid.uuid4(), (), tuple(twins)),
        now=now,
        request_id="seed-demo",
    )
    catalogue = await load_catalogue(conn)
    for birth_weight, twin in zip((1650, 1580), twins, strict=True):
        stored = await store_measurements(conn, guardian, twin, _infant_week(birth_weight, now), catalogue)
        # Through the rules as a phone's upload would go, so the worklist shows what the week raised.
        await evaluate_and_record(conn, guardian, twin, measurements=stored.created)


def _infant_week(birth_weight_g: int, now: datetime) -> list[MeasurementIn]:
    """A week at home: a morning weight gaining ~25 g a day, and eight feeds a day by tube."""
    items = []
    for days_ago in range(7, 0, -1):
        morning = (now - timedelta(days=days_ago)).replace(hour=6, minute=0, second=0, microsecond=0)
        weight = birth_weight_g + 400 + 25 * (7 - days_ago)
        items.append(MeasurementIn(uuid.uuid4(), "body_weight", "g", morning, float(weight)))
        for feed in range(8):
            items.append(
                MeasurementIn(
                    uuid.uuid4(),
                    "feeding_volume",
                    "mL",
                    morning + timedelta(hours=3 * feed),
                    45.0,
                    attributes={"route": "tube" if feed % 2 else "bottle"},
                )
            )
    return items


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
