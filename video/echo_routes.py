"""`POST /video/echo`: the pre-call echo test (the peer itself is in video/echo.py)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Router, post
from litestar.datastructures import State
from litestar.params import JSONBody

from backend.access.service import Access, SignedIn
from backend.errors import problem_responses
from video.echo import SDP_MAX_CHARS, EchoSessions


class EchoOffer(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    type: Literal["offer"]
    # Complete (non-trickle) offer: the caller waits for ICE gathering before sending it.
    sdp: Annotated[str, msgspec.Meta(min_length=1, max_length=SDP_MAX_CHARS)]


class EchoAnswer(msgspec.Struct, frozen=True):
    type: Literal["answer"]
    sdp: str
    # The test ends by itself after this many seconds.
    max_seconds: int


@post(
    "/video/echo",
    opt={"access": Access.SIGNED_IN},
    status_code=200,
    responses=problem_responses(
        {
            429: "Every echo test place of this server is taken: try again after `Retry-After` seconds.",
            503: "The echo test could not be prepared or was stopped: try again after `Retry-After` seconds.",
        }
    ),
)
async def start_echo_test(data: JSONBody[EchoOffer], caller: SignedIn, state: State) -> EchoAnswer:
    """Answer a WebRTC offer with a peer that sends the caller's own audio and video back, to check
    camera, microphone and network before a consultation. One test per user (a new one replaces
    the old), a few per server (429 with `Retry-After` when busy), each for at most `max_seconds`.
    The answer names only public server addresses unless configured otherwise."""
    sessions: EchoSessions = state.echo
    sdp = await sessions.open(caller.id, data.sdp)
    return EchoAnswer(type="answer", sdp=sdp, max_seconds=sessions.config.max_seconds)


router = Router(path="/", tags=["video"], route_handlers=[start_echo_test])
