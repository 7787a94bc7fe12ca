"""A browser's EventSource into GET /alerts/stream: a single-use ticket in an HttpOnly cookie scoped
to the stream, never a token in the URL."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from tests.alerts.support import temperature, upload
from tests.helpers import API, Actor, expect, make_clinician
from tests.live.support import STREAM, EventStream

TICKET = f"{STREAM}/ticket"
BROWSER = Actor("browser", None, None)  # sends no Authorization header, only the cookie


@pytest.fixture(autouse=True)
def no_cookie_jar(client):
    """The suite's client keeps cookies; each test here starts and ends without any."""
    client.cookies.clear()
    yield
    client.cookies.clear()


async def ticket_cookie(client, actor: Actor, **kwargs) -> SimpleCookie:
    response = await client.post(TICKET, headers=actor.headers, **kwargs)
    await expect(response, 204)
    client.cookies.clear()  # sent by hand below, so each test says exactly what it sends
    cookie = SimpleCookie()
    cookie.load(response.headers["set-cookie"])
    return cookie


def cookie_header(cookie: SimpleCookie) -> dict[str, str]:
    morsel = cookie["heima_stream_ticket"]
    return {"Cookie": f"heima_stream_ticket={morsel.value}"}


async def test_the_cookie_is_httponly_strict_scoped_to_the_stream_and_short_lived(client, world):
    cookie = await ticket_cookie(client, world.clin_u1)
    morsel = cookie["heima_stream_ticket"]
    assert morsel.value.startswith("heima_st_")
    assert morsel["httponly"] is True and morsel["samesite"].lower() == "strict"
    assert morsel["path"] == STREAM and morsel["max-age"] == "30"
    assert not morsel["secure"]  # plain http here (loopback); see the https test


async def test_over_https_the_cookie_is_secure(client, world):
    response = await client.post(f"https://testserver.local{TICKET}", headers=world.clin_u1.headers)
    await expect(response, 204)
    cookie = SimpleCookie()
    cookie.load(response.headers["set-cookie"])
    assert cookie["heima_stream_ticket"]["secure"] is True


async def test_the_ticket_opens_the_stream_once_and_events_flow(client, world):
    cookie = await ticket_cookie(client, world.clin_u1)
    async with EventStream(client, BROWSER, headers=cookie_header(cookie)) as stream:
        assert stream.status == 200
        # The spent ticket is cleared in the browser.
        assert "heima_stream_ticket=" in stream.response_headers["set-cookie"]
        assert "max-age=0" in stream.response_headers["set-cookie"].lower()
        [raised] = (await upload(client, world.guardian, world.twin_b, temperature(39.4)))["alerts"]
        name, event = await stream.next_event()
        assert (name, event["id"]) == ("alert", raised["id"])
    # Single use: the same ticket again is refused.
    again = await client.get(STREAM, params={"once": "true"}, headers=cookie_header(cookie))
    assert again.status_code == 401


async def test_an_expired_ticket_is_refused(client, world, clock):
    cookie = await ticket_cookie(client, world.clin_u1)
    clock.advance(seconds=31)
    response = await client.get(STREAM, params={"once": "true"}, headers=cookie_header(cookie))
    assert response.status_code == 401


async def test_a_ticket_dies_with_its_sign_in(client, world):
    nurse = await make_clinician(client, world.admin.headers, [world.unit_u1])
    cookie = await ticket_cookie(client, nurse)
    await expect(await client.post(f"{API}/auth/logout", headers=nurse.headers), 204)
    response = await client.get(STREAM, params={"once": "true"}, headers=cookie_header(cookie))
    assert response.status_code == 401


async def test_only_the_stream_accepts_the_ticket(client, world):
    cookie = await ticket_cookie(client, world.clin_u1)
    # Any other route, even a read of the same alerts, ignores the cookie.
    for path in (f"{API}/alerts", f"{API}/me", f"{STREAM}/ticket"):
        method = "POST" if path.endswith("ticket") else "GET"
        response = await client.request(method, path, headers=cookie_header(cookie))
        assert response.status_code == 401, path
    # ... and it was not spent by those attempts.
    response = await client.get(STREAM, params={"once": "true"}, headers=cookie_header(cookie))
    assert response.status_code == 200


async def test_only_clinicians_get_a_ticket_and_garbage_is_refused(client, world):
    await expect(await client.post(TICKET, headers=world.guardian.headers), 403)
    await expect(await client.post(TICKET, headers=world.admin.headers), 403)
    await expect(await client.post(TICKET), 401)
    for value in ("nonsense", "heima_st_" + "x" * 40, "heima_at_" + "y" * 40):
        response = await client.get(STREAM, params={"once": "true"}, headers={"Cookie": f"heima_stream_ticket={value}"})
        assert response.status_code == 401, value


async def test_the_ticket_is_never_logged(client, world, capsys, caplog):
    cookie = await ticket_cookie(client, world.clin_u1)
    value = cookie["heima_stream_ticket"].value
    await client.get(STREAM, params={"once": "true"}, headers=cookie_header(cookie))
    captured = capsys.readouterr()
    assert value not in captured.out + captured.err
    assert all(value not in record.getMessage() and value not in str(record.__dict__) for record in caplog.records)


async def test_the_ticket_is_stored_only_as_a_hash(client, world, db):
    cookie = await ticket_cookie(client, world.clin_u1)
    value = cookie["heima_stream_ticket"].value
    rows = await db.fetch("select ticket_hash from stream_tickets")
    assert rows and all(value.encode() not in bytes(row["ticket_hash"]) for row in rows)
