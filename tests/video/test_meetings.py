"""Planning and reading meetings, and a discharge meeting across organisations in a full mesh."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from tests.helpers import API, Actor, expect, make_clinician, me, unique
from tests.video.rtc import MeshPeer
from tests.video.support import Signal, join, plan_meeting, rfc3339


async def municipal_nurse(http, world) -> Actor:
    """A nurse of the municipality's home-care service: another organisation than the hospital's."""
    body = {"name": unique("Kommune"), "kind": "municipality"}
    organisation = await expect(await http.post(f"{API}/organisations", json=body, headers=world.admin.headers), 201)
    unit = await expect(
        await http.post(
            f"{API}/organisations/{organisation['id']}/units",
            json={"name": unique("Hjemmesykepleie")},
            headers=world.admin.headers,
        ),
        201,
    )
    return await make_clinician(http, world.admin.headers, [unit["id"]])


@pytest.fixture
async def nurse(http, world) -> Actor:
    return await municipal_nurse(http, world)


async def test_a_discharge_meeting_of_three_organisations_people_forms_a_full_mesh(http, world, clock, nurse):
    meeting = await plan_meeting(
        http,
        world.clin_u1,
        world.twin_a,
        clock.now,
        kind="discharge",
        participants=[{"user_id": nurse.id, "role": "participant"}],
    )
    people = {"host": world.clin_u1, "nurse": nurse, "guardian": world.guardian}
    tickets = {name: await join(http, actor, meeting["id"]) for name, actor in people.items()}
    assert tickets["host"]["role"] == "host" and tickets["nurse"]["role"] == "participant"
    ids = {name: ticket["peer_id"] for name, ticket in tickets.items()}
    peers: dict[str, MeshPeer] = {}
    async with asyncio.timeout(40):
        try:
            for name in ("host", "nurse", "guardian"):
                signal = await Signal.open(tickets[name]["signalling_url"], name)
                welcome = await signal.expect("welcome")
                peers[name] = MeshPeer(signal, ids[name], name)
                peers[name].start(welcome)
            # The host admits whoever waits, in the order they arrived.
            for name in ("nurse", "guardian"):
                await peers["host"].wait_for("waiting", ids[name])
                await peers["host"].signal.send({"type": "admit", "peer_id": ids[name]})
            await asyncio.gather(
                *(peer.wait_connected([ids[other] for other in peers if other != name]) for name, peer in peers.items())
            )
        finally:
            for peer in peers.values():
                await peer.close()
    for name, peer in peers.items():
        for other in peers:
            if other != name:
                assert peer.received[ids[other]] == [f"hello from {other}"], (name, other)
    # The newcomers offered to those already there; nobody else offered.
    offers = {name: sorted(f["from"] for f in peer.frames if f["type"] == "offer") for name, peer in peers.items()}
    assert offers == {"host": sorted([ids["nurse"], ids["guardian"]]), "nurse": [ids["guardian"]], "guardian": []}


async def test_the_municipal_nurse_sees_her_meeting_and_nothing_else_of_the_patient(http, world, clock, nurse, db):
    discharge = await plan_meeting(
        http, world.clin_u1, world.twin_a, clock.now, kind="discharge", participants=[{"user_id": nurse.id}]
    )
    other = await plan_meeting(http, world.clin_u1, world.twin_a, clock.now)
    await expect(await http.get(f"{API}/patients/{world.twin_a}", headers=nurse.headers), 404)
    await expect(await http.get(f"{API}/patients/{world.twin_a}/measurements", headers=nurse.headers), 404)
    read = await expect(await http.get(f"{API}/meetings/{discharge['id']}", headers=nurse.headers), 200)
    assert read["my_role"] == "participant"
    assert {(p["kind"], p["role"]) for p in read["participants"]} >= {
        ("staff", "host"),
        ("staff", "participant"),
        ("guardian", "participant"),
    }
    await expect(await http.get(f"{API}/meetings/{other['id']}", headers=nurse.headers), 404)
    listed = await expect(
        await http.get(f"{API}/meetings", params={"patient_id": world.twin_a}, headers=nurse.headers), 200
    )
    assert [m["id"] for m in listed["items"]] == [discharge["id"]]
    mine = await expect(await http.get(f"{API}/meetings", headers=nurse.headers), 200)
    assert [m["id"] for m in mine["items"]] == [discharge["id"]]
    logged = await db.fetch(
        "select resource, outcome from access_log where actor_id = $1 and patient_id = $2 order by id",
        uuid.UUID(nurse.id),
        uuid.UUID(world.twin_a),
    )
    assert [tuple(row) for row in logged] == [
        ("patient", "denied"),
        ("measurements", "denied"),
        ("meeting", "allowed"),
        ("meeting", "denied"),
        ("meeting-list", "allowed"),
        ("meeting-list", "allowed"),
    ]


async def test_meetings_are_visible_to_the_patients_people_only(http, world, clock):
    meeting = await plan_meeting(http, world.clin_u1, world.twin_a, clock.now)
    url = f"{API}/meetings/{meeting['id']}"
    for actor in (world.clin_u1, world.guardian):
        read = await expect(await http.get(url, headers=actor.headers), 200)
        assert read["id"] == meeting["id"] and read["patient_id"] == world.twin_a
    assert (await expect(await http.get(url, headers=world.guardian.headers), 200))["my_role"] == "participant"
    assert (await expect(await http.get(url, headers=world.clin_u1.headers), 200))["my_role"] == "host"
    missing = await expect(await http.get(f"{API}/meetings/{uuid.uuid4()}", headers=world.clin_u2.headers), 404)
    for actor in (world.clin_u2, world.patient_p2):
        assert await expect(await http.get(url, headers=actor.headers), 404) == missing
    await expect(await http.get(url, headers=world.admin.headers), 403)
    await expect(await http.get(url), 401)

    listed = await expect(
        await http.get(f"{API}/meetings", params={"patient_id": world.twin_a}, headers=world.guardian.headers), 200
    )
    assert meeting["id"] in {m["id"] for m in listed["items"]}
    assert {m["patient_id"] for m in listed["items"]} == {world.twin_a}
    foreign = await http.get(f"{API}/meetings", params={"patient_id": world.twin_a}, headers=world.clin_u2.headers)
    unknown = await http.get(f"{API}/meetings", params={"patient_id": str(uuid.uuid4())}, headers=world.clin_u2.headers)
    assert (await expect(foreign, 404)) == (await expect(unknown, 404))
    mine = await expect(await http.get(f"{API}/meetings", headers=world.patient_p2.headers), 200)
    assert world.twin_a not in {m["patient_id"] for m in mine["items"]}


async def test_the_patient_and_guardians_take_part_without_being_named(http, world, clock):
    meeting = await plan_meeting(http, world.clin_u2, world.p2, clock.now)
    kinds = {(p["kind"], p["role"]) for p in meeting["participants"]}
    assert kinds == {("staff", "host"), ("patient", "participant")}
    patient = await me(http, world.patient_p2)
    assert patient["id"] in {p["user_id"] for p in meeting["participants"]}
    assert (await join(http, world.patient_p2, meeting["id"]))["role"] == "participant"


async def test_planning_checks_who_and_when(http, world, clock, nurse):
    guardian = await me(http, world.guardian)

    async def plan(actor: Actor, status: int, **changes: object) -> dict:
        body = {
            "patient_id": world.twin_a,
            "kind": "consultation",
            "title": "Kontroll",
            "starts_at": rfc3339(clock.now),
        }
        body.update(changes)
        return await expect(await http.post(f"{API}/meetings", json=body, headers=actor.headers), status)

    def field(problem: dict) -> str:
        return problem["errors"][0]["field"]

    # Only a discharge meeting reaches outside the organisation.
    assert field(await plan(world.clin_u1, 422, participants=[{"user_id": nurse.id}])) == "participants[0].user_id"
    await plan(world.clin_u1, 201, kind="discharge", participants=[{"user_id": nurse.id}])
    # Named users must be clinicians that exist, each once.
    assert (
        field(await plan(world.clin_u1, 422, participants=[{"user_id": str(uuid.uuid4())}]))
        == "participants[0].user_id"
    )
    assert (
        field(await plan(world.clin_u1, 422, participants=[{"user_id": guardian["id"]}])) == "participants[0].user_id"
    )
    twice = [{"user_id": world.clin_u1.id, "role": "host"}, {"user_id": world.clin_u1.id}]
    assert field(await plan(world.clin_u1, 422, participants=twice)) == "participants[1].user_id"
    # Somebody hosts: the planner, unless the list makes them a participant with no host named.
    assert field(await plan(world.clin_u1, 422, participants=[{"user_id": world.clin_u1.id}])) == "participants"
    colleague = await make_clinician(http, world.admin.headers, [world.unit_u1])
    handed_over = await plan(
        world.clin_u1,
        201,
        participants=[{"user_id": world.clin_u1.id}, {"user_id": colleague.id, "role": "host"}],
    )
    roles = {p["user_id"]: p["role"] for p in handed_over["participants"] if p["kind"] == "staff"}
    assert roles == {world.clin_u1.id: "participant", colleague.id: "host"}
    # Time.
    assert field(await plan(world.clin_u1, 422, ends_at=rfc3339(clock.now - timedelta(minutes=1)))) == "ends_at"
    assert field(await plan(world.clin_u1, 422, ends_at=rfc3339(clock.now + timedelta(hours=13)))) == "ends_at"
    yesterday = rfc3339(clock.now - timedelta(days=1))
    assert field(await plan(world.clin_u1, 422, starts_at=yesterday)) == "starts_at"
    assert field(await plan(world.clin_u1, 422, starts_at="2026-11-22T08:00:00")) == "starts_at"
    # Who plans: a clinician who may see the patient.
    await plan(world.clin_u2, 404)
    await plan(world.guardian, 403)
    await plan(world.admin, 404)  # administrators see no patient
    await plan(world.clin_u1, 404, patient_id=str(uuid.uuid4()))


async def test_bad_ids_in_paths_and_queries(http, world):
    for method, path in (
        ("GET", f"{API}/meetings/not-a-uuid"),
        ("POST", f"{API}/meetings/not-a-uuid/join"),
        ("GET", f"{API}/meetings/1"),
    ):
        problem = await expect(await http.request(method, path, headers=world.clin_u1.headers), 404)
        assert problem["status"] == 404
    for query in ("patient_id=x", "patient_id=", "patient_id=1"):
        problem = await expect(await http.get(f"{API}/meetings?{query}", headers=world.clin_u1.headers), 422)
        assert problem["errors"][0]["field"] == "patient_id"
