"""The echo sessions' life cycle, driven directly on this event loop with real aiortc peers."""

from __future__ import annotations

import asyncio
import os
import random
import uuid

import pytest

from backend.errors import ProblemError
from backend.settings import Settings
from tests.echo.support import LEFT, RIGHT, Caller, local_addresses, shows, wait_until
from tests.echo.test_echo import offer_of
from video.echo import EchoSessions


def echo_sessions(**values) -> EchoSessions:
    return EchoSessions.from_settings(Settings(echo_allowed_candidate_ips=local_addresses(), **values))


def open_files() -> int | None:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None


async def test_a_connected_test_ends_after_its_time_and_tells_the_caller():
    sessions = echo_sessions(echo_max_seconds=3)
    caller = Caller(audio=False)
    try:
        async with asyncio.timeout(10):
            await caller.accept(await sessions.open(uuid.uuid4(), await caller.offer()))
            await caller.first_video_frame_where(lambda f: shows(f, LEFT, RIGHT))
            assert sessions.active == 1
            # The server closes its peer (DTLS close_notify), and the caller's closes in turn.
            await wait_until(lambda: caller.pc.connectionState == "closed", "the caller saw the end", 6)
            assert sessions.active == 0
    finally:
        await caller.close()
        await sessions.close_all()


async def test_a_caller_that_never_connects_gives_its_slot_back():
    sessions = echo_sessions(echo_max_seconds=2, echo_max_sessions=1)
    offers = [await offer_of(video="sendrecv") for _ in range(3)]
    await sessions.open(uuid.uuid4(), offers[0])  # the answer is never used
    with pytest.raises(ProblemError) as busy:
        await sessions.open(uuid.uuid4(), offers[1])
    assert busy.value.status == 429 and busy.value.headers["Retry-After"] in ("1", "2")
    await wait_until(lambda: sessions.active == 0 and sessions.closing == 0, "the slot came back", 5)
    await sessions.open(uuid.uuid4(), offers[2])
    await sessions.close_all()
    assert sessions.active == 0


async def test_the_same_user_twice_at_once_keeps_the_newer_test():
    sessions = echo_sessions()
    user = uuid.uuid4()
    first, second = await offer_of(video="sendrecv"), await offer_of(video="sendrecv")
    results = await asyncio.gather(sessions.open(user, first), sessions.open(user, second), return_exceptions=True)
    try:
        assert isinstance(results[0], ProblemError) and results[0].status == 409, results[0]
        assert isinstance(results[1], str) and results[1].startswith("v=0")
        assert sessions.active == 1
    finally:
        await sessions.close_all()


async def test_zero_sessions_switches_the_echo_test_off():
    sessions = echo_sessions(echo_max_sessions=0)
    with pytest.raises(ProblemError) as off:
        await sessions.open(uuid.uuid4(), await offer_of(video="sendrecv"))
    assert off.value.status == 503


async def test_mangled_offers_are_answered_or_refused_and_leave_nothing_open():
    """aiortc trusts the offer: a missing a=setup or direction, or a BUNDLE naming nothing, made it
    raise half-way (AttributeError, ValueError) and leave sockets behind. Mangle a real offer
    line by line: each must be answered or refused with a 422, and every socket must be closed."""
    sessions = echo_sessions(echo_max_sessions=1000)
    lines = (await offer_of(video="sendrecv", audio="sendrecv", data="-")).split("\r\n")
    junk = [" x", ":", "=", " 99999999999", "\x00", "é", " -1", "/", "a=", "m=video 9 X 96"]
    rng = random.Random(20261122)
    files_before = open_files()
    outcomes: dict[str, int] = {}
    for _ in range(300):
        mangled = list(lines)
        for _ in range(rng.randint(1, 4)):
            at, what = rng.randrange(len(mangled)), rng.random()
            if what < 0.25:
                del mangled[at]
            elif what < 0.5:
                mangled[at] = mangled[at][: rng.randrange(len(mangled[at]) + 1)]
            elif what < 0.75:
                mangled[at] += rng.choice(junk)
            else:
                mangled.insert(at, rng.choice(mangled))
        try:
            await sessions.open(uuid.uuid4(), "\r\n".join(mangled))
            outcome = "answered"
        except ProblemError as problem:
            assert problem.status == 422 and problem.errors[0].field == "sdp", problem
            outcome = problem.errors[0].message
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    await sessions.close_all()
    assert outcomes.get("answered", 0) > 50 and len(outcomes) > 4, outcomes
    if files_before is not None:
        assert open_files() <= files_before
