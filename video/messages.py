"""The signalling protocol: a closed set of JSON text frames (docs/api.md, "Video meetings").

Client frames decode strictly into one tagged union: an unknown `type`, a missing or extra field or
a wrong type is an error frame to the sender, never a crash. SDP and ICE candidates are opaque:
an SDP is relayed as the same string and a candidate as the very bytes the sender wrote.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from backend.decoding import unsafe_values

# A browser's offer with many codecs, simulcast and its candidates is 5-15 KiB; twice the largest
# seen leaves room without letting one frame crowd a peer's backlog.
MAX_SDP_CHARS = 32 * 1024
Sdp = Annotated[str, Meta(min_length=1, max_length=MAX_SDP_CHARS)]
# One RTCIceCandidateInit (candidate line, sdpMid, sdpMLineIndex, usernameFragment) is ~200 bytes.
MAX_CANDIDATE_BYTES = 2048


class _Client(msgspec.Struct, forbid_unknown_fields=True, tag_field="type", frozen=True):
    pass


class Offer(_Client, tag="offer"):
    to: UUID
    sdp: Sdp


class Answer(_Client, tag="answer"):
    to: UUID
    sdp: Sdp


class Ice(_Client, tag="ice"):
    to: UUID
    # An RTCIceCandidateInit object, a string, or null for the end of candidates: relayed as is.
    candidate: msgspec.Raw


class Leave(_Client, tag="leave"):
    pass


class Admit(_Client, tag="admit"):
    peer_id: UUID


class Remove(_Client, tag="remove"):
    peer_id: UUID


class End(_Client, tag="end"):
    pass


ClientMessage = Offer | Answer | Ice | Leave | Admit | Remove | End
Relayable = Offer | Answer | Ice
HOST_ONLY = (Admit, Remove, End)

_decoder = msgspec.json.Decoder(ClientMessage, strict=True)


def decode_client(frame: str | bytes) -> ClientMessage:
    """Raise msgspec.DecodeError (not JSON) or msgspec.ValidationError (not one of ours, too
    large, or with a value no request may carry: U+0000, backend/decoding.py)."""
    message = _decoder.decode(frame)
    if isinstance(message, Ice) and len(message.candidate) > MAX_CANDIDATE_BYTES:
        raise msgspec.ValidationError(f"A candidate holds at most {MAX_CANDIDATE_BYTES} bytes - at `$.candidate`")
    if problems := unsafe_values(message):
        raise msgspec.ValidationError(f"{problems[0].message} - at `$.{problems[0].field}`")
    return message


# --- server → client ------------------------------------------------------------------------------


class PeerInfo(msgspec.Struct, frozen=True):
    peer_id: str
    display_name: str
    role: str


class _Server(msgspec.Struct, tag_field="type", frozen=True):
    pass


class Welcome(_Server, tag="welcome"):
    peer_id: str
    role: str
    state: Literal["waiting", "joined"]
    peers: list[PeerInfo]
    # True when this socket took over the place of an earlier one of the same sign-in within the
    # grace period: the peer connections it had still stand, so it need not offer again.
    resumed: bool = False


class Admitted(_Server, tag="admitted"):
    peers: list[PeerInfo]


class Waiting(_Server, tag="waiting"):
    peer: PeerInfo


class PeerJoined(_Server, tag="peer-joined"):
    peer: PeerInfo


class PeerLeft(_Server, tag="peer-left"):
    peer_id: str


class Ended(_Server, tag="ended"):
    pass


class Error(_Server, tag="error"):
    title: str
    detail: str


class RelayedOffer(_Server, tag="offer"):
    from_: str = msgspec.field(name="from")
    sdp: str


class RelayedAnswer(_Server, tag="answer"):
    from_: str = msgspec.field(name="from")
    sdp: str


class RelayedIce(_Server, tag="ice"):
    from_: str = msgspec.field(name="from")
    candidate: msgspec.Raw


ServerMessage = (
    Welcome | Admitted | Waiting | PeerJoined | PeerLeft | Ended | Error | RelayedOffer | RelayedAnswer | RelayedIce
)
"""Every frame a client may receive (published as JSON Schema beside the OpenAPI document, backend/docs.py)."""

encode = msgspec.json.Encoder().encode


def relayed(message: Relayable, sender: str) -> bytes:
    if isinstance(message, Offer):
        return encode(RelayedOffer(from_=sender, sdp=message.sdp))
    if isinstance(message, Answer):
        return encode(RelayedAnswer(from_=sender, sdp=message.sdp))
    return encode(RelayedIce(from_=sender, candidate=message.candidate))


def error(title: str, detail: str) -> bytes:
    return encode(Error(title=title, detail=detail))
