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
    twins, adults = [], {}
    for username, name, birth, unit_id, programme, parameters in enrolments:
        caller = caller_for(username)
        patient = await patients.register_patient(conn, caller, PatientCreate(name, birth, unit_id))
        await patients.enrol_patient(conn, caller, patient.id, EnrolmentCreate(programme, unit_id, parameters))
        if programme == "premature-home":
            twins.append(patient.id)
        else:
            adults[name] = (patient.id, caller)
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
    # Twin A vomited three large feeds since yesterday; twin B had 7 feeds and 3 wet nappies
    # yesterday: the new rules show on the worklist.
    weeks = {
        twins[0]: _infant_week(1650, now, feeds_yesterday=8) + _large_vomits(now),
        twins[1]: _infant_week(1580, now, feeds_yesterday=7),
    }
    for twin, week in weeks.items():
        await _upload(conn, guardian, twin, week, catalogue)

    # COPD on home oxygen since this morning: the unit changes the parameter (with a reason, in
    # the enrolment's history), then his SpO2 falls below his own target and 2 weeks' baseline,
    # and his diary reports all three flare-up signs.
    ola, nurse_lung = adults["Ola Hansen"]
    [enrolment] = (await patients.read_patient(conn, nurse_lung, ola)).enrolments
    change = EnrolmentChange(reason="Startet LTOT 2 L/min etter poliklinisk kontroll", parameters={"home_oxygen": True})
    await patients.change_parameters(conn, nurse_lung, ola, enrolment.id, change)
    fortnight = _copd_fortnight(now)
    await _upload(conn, nurse_lung, ola, fortnight[:-1], catalogue)
    await _upload(conn, nurse_lung, ola, fortnight[-1:], catalogue)
    diary = FormResponseIn(
        uuid.uuid4(),
        "copd-symptom-diary",
        1,
        now - timedelta(minutes=30),
        {
            "more_breathless": True,
            "sputum_colour_changed": True,
            "sputum_volume_increased": True,
            "new_confusion": False,
        },
    )
    await record_form_response(conn, nurse_lung, ola, diary, catalogue)

    # Home haemodialysis Monday/Wednesday/Friday: 3.1 kg gained since the last session (4.3 % of
    # dry weight) and more breathless. Peritoneal dialysis: yesterday's UF well below the week's.
    eva, nurse_renal = adults["Eva Berg"]
    last_session = now - timedelta(days=2)
    await _upload(conn, nurse_renal, eva, [_weight_kg(72.0, last_session, "post_dialysis")], catalogue)
    session = FormResponseIn(
        uuid.uuid4(),
        "hd-session",
        1,
        now - timedelta(minutes=20),
        {"pre_weight": 75.1, "breathless": True, "oedema": False, "dizzy": False},
    )
    await record_form_response(conn, nurse_renal, eva, session, catalogue)
    per, _ = adults["Per Dahl"]
    await _upload(conn, nurse_renal, per, _pd_week(now), catalogue)


async def _upload(
    conn: asyncpg.Connection, caller: Caller, patient_id: uuid.UUID, items: list[MeasurementIn], catalogue
) -> None:
    stored = await store_measurements(conn, caller, patient_id, items, catalogue)
    # Through the rules as a phone's upload would go, so the worklist shows what the week raised.
    await evaluate_and_record(conn, caller, patient_id, measurements=stored.created)


def _weight_kg(kg: float, at: datetime, timing: str) -> MeasurementIn:
    return MeasurementIn(uuid.uuid4(), "body_weight", "kg", at, kg, attributes={"timing": timing})


def _large_vomits(now: datetime) -> list[MeasurementIn]:
    return [
        MeasurementIn(
            uuid.uuid4(),
            "vomiting",
            "{episodes}",
            now - timedelta(hours=h),
            1.0,
            attributes={"size": "large", "colour": "milky"},
        )
        for h in (20, 9, 2)
    ]


def _copd_fortnight(now: datetime) -> list[MeasurementIn]:
    """A reading each morning for two weeks around 91 % on oxygen, then 87 % now."""
    readings = [
        MeasurementIn(
            uuid.uuid4(),
            "spo2",
            "%",
            now - timedelta(days=d, hours=2),
            float(90 + d % 3),
            attributes={"on_oxygen": True},
        )
        for d in range(14, 0, -1)
    ]
    return [*readings, MeasurementIn(uuid.uuid4(), "spo2", "%", now - timedelta(minutes=40), 87.0)]


def _pd_week(now: datetime) -> list[MeasurementIn]:
    """Net UF each morning for a week around 900 mL, and 300 mL yesterday."""
    mornings = [(now - timedelta(days=d)).replace(hour=7, minute=0, second=0, microsecond=0) for d in range(8, 0, -1)]
    volumes = [900.0, 950.0, 850.0, 900.0, 1000.0, 880.0, 920.0, 300.0]
    return [
        MeasurementIn(uuid.uuid4(), "ultrafiltration_volume", "mL", at, ml)
        for at, ml in zip(mornings, volumes, strict=True)
    ]


def _infant_week(birth_weight_g: int, now: datetime, feeds_yesterday: int) -> list[MeasurementIn]:
    """A week at home: a morning weight gaining ~25 g a day, eight feeds a day by tube (yesterday
    `feeds_yesterday`), and the wet nappies of the daily check (yesterday 3 when feeds were few)."""
    items = []
    for days_ago in range(7, 0, -1):
        morning = (now - timedelta(days=days_ago)).replace(hour=6, minute=0, second=0, microsecond=0)
        weight = birth_weight_g + 400 + 25 * (7 - days_ago)
        items.append(MeasurementIn(uuid.uuid4(), "body_weight", "g", morning, float(weight)))
        few = days_ago == 1 and feeds_yesterday < 8
        nappies = 3.0 if few else 6.0
        items.append(MeasurementIn(uuid.uuid4(), "wet_nappies", "{count}", morning + timedelta(hours=14), nappies))
        for feed in range(feeds_yesterday if days_ago == 1 else 8):
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
