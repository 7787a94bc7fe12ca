"""The pre-call echo test: a server-side WebRTC peer that sends the caller's own media back.

A parent checks camera, microphone and network before a consultation. Each test is an aiortc
`RTCPeerConnection` answering the caller's offer; every track it receives is sent back through a
`MediaRelay`. Sessions are bounded: a number per process, one per user (a new one replaces the old),
a lifetime, and a deadline to connect. They end when the caller goes away (DTLS close → "closed",
lost ICE consent → "failed"), and the registry then forgets them.

Addresses (docs/reliability.md, F5 and R20): aiortc names raw interface addresses in its host candidates
(browsers use mDNS names). The answer therefore only names public addresses, plus those the
configuration allows (`HEIMA_ECHO_ALLOWED_CANDIDATE_IPS`); the rest are removed, and related
addresses and `c=` lines that would name them are blanked as RFC 8839 does. The offer is filtered
the same way before aiortc sees it, so a caller cannot make the server send connectivity checks
into its own private networks, and mDNS names are not resolved on the server's network.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import ipaddress
import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay
from aiortc.exceptions import InternalError, InvalidAccessError, InvalidStateError, OperationError
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcicetransport import parse_stun_turn_uri
from aiortc.sdp import SessionDescription

from backend.errors import ProblemError, invalid
from backend.settings import Settings, SettingsError

log = logging.getLogger("heima.video.echo")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# A browser's audio+video offer is 5–12 kB; room for many codecs and candidates, not for abuse.
SDP_MAX_CHARS = 32 * 1024
# One audio, one video and perhaps a data channel: each section costs sockets and a codec.
MAX_SECTIONS_PER_KIND = 1
# Browsers offer a handful per section; each one kept is a target for connectivity checks.
MAX_REMOTE_CANDIDATES_PER_SECTION = 16
# Answering gathers candidates, including a TURN allocation: bounded, as it holds a request.
ANSWER_SECONDS = 10.0
# A caller that never connects gives its slot back well before the session's lifetime ends.
CONNECT_SECONDS = 20.0
# The TURN credential outlives the session by this much (allocation refreshes near the end).
TURN_CREDENTIAL_MARGIN_SECONDS = 60
TURN_USER = "heima-echo"
MEDIA_KINDS = frozenset({"audio", "video", "application"})
DIRECTIONS = frozenset({"sendrecv", "sendonly", "recvonly", "inactive"})
# What aiortc raises, beyond its parser, on offers it cannot answer; all caused by the offer.
NEGOTIATION_ERRORS = (
    ValueError,
    KeyError,
    IndexError,
    AttributeError,
    TypeError,
    InvalidAccessError,
    InvalidStateError,
    InternalError,
)
CANDIDATE = "a=candidate:"


# --- configuration ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EchoConfig:
    max_sessions: int
    max_seconds: int
    allowed_networks: tuple[IPNetwork, ...]
    turn_urls: tuple[str, ...]
    turn_secret: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> EchoConfig:
        """Checked once at start-up: a typo in an address must not surface as a failed call."""
        if settings.echo_max_sessions < 0:
            raise SettingsError("HEIMA_ECHO_MAX_SESSIONS must be 0 (echo test off) or more")
        if settings.echo_max_seconds < 1:
            raise SettingsError("HEIMA_ECHO_MAX_SECONDS must be at least 1")
        networks = []
        for entry in settings.echo_allowed_candidate_ips:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise SettingsError(
                    f"HEIMA_ECHO_ALLOWED_CANDIDATE_IPS: {entry!r} is not an IP address or network"
                ) from None
        for url in settings.turn_urls:
            try:
                parse_stun_turn_uri(url)
            except ValueError:
                raise SettingsError(f"HEIMA_TURN_URLS: {url!r} is not a stun:/turn:/turns: URL") from None
        return cls(
            max_sessions=settings.echo_max_sessions,
            max_seconds=settings.echo_max_seconds,
            allowed_networks=tuple(networks),
            turn_urls=settings.turn_urls,
            turn_secret=settings.turn_secret,
        )

    def ice_servers(self, now: float) -> list[RTCIceServer]:
        """Our TURN/STUN servers, never aiortc's default (a public Google STUN server)."""
        if not self.turn_urls:
            return []
        if self.turn_secret is None:
            return [RTCIceServer(urls=list(self.turn_urls))]
        username, credential = turn_credentials(
            self.turn_secret, int(now) + self.max_seconds + TURN_CREDENTIAL_MARGIN_SECONDS
        )
        return [RTCIceServer(urls=list(self.turn_urls), username=username, credential=credential)]

    def rtc_configuration(self, now: float) -> RTCConfiguration:
        servers = self.ice_servers(now)
        has_turn = self.turn_secret is not None and any(url.startswith("turn") for url in self.turn_urls)
        # With a TURN server and no address allowed, the peer gathers relay candidates only: it then
        # sends nothing from its own interfaces, so not even a peer-reflexive candidate names them.
        relay_only = has_turn and not self.allowed_networks
        policy = RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL
        return RTCConfiguration(iceServers=servers, iceTransportPolicy=policy)


def turn_credentials(secret: str, expires_at: int, user: str = TURN_USER) -> tuple[str, str]:
    """coturn's REST API credentials (`use-auth-secret`): `expiry:user`, base64(HMAC-SHA1)."""
    username = f"{expires_at}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


# --- candidate policy --------------------------------------------------------------------------------


def advertisable(address: str, allowed: Iterable[IPNetwork]) -> bool:
    """A public unicast IP literal, or one the configuration allows. Names (mDNS) are not."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.is_multicast or ip.is_unspecified:
        return False
    # `is_global` excludes RFC 1918, loopback, link-local, CGNAT, ULA, documentation ranges, ...
    return ip.is_global or any(ip.version == net.version and ip in net for net in allowed)


def _blank(address: str) -> str:
    return "::" if ":" in address else "0.0.0.0"


def _candidate_parts(line: str) -> list[str] | None:
    """`foundation component transport priority address port typ type [raddr a rport p] ...`."""
    parts = line[len(CANDIDATE) :].split()
    if len(parts) < 8 or parts[6] != "typ":
        return None
    return parts


def _lines(sdp: str) -> list[str]:
    return [line for line in sdp.replace("\r\n", "\n").split("\n") if line]


def filter_offer(sdp: str, allowed: tuple[IPNetwork, ...]) -> str:
    """Keep the remote candidates the server may send checks to: UDP, advertisable, a few each.

    End-of-candidates goes too: with it, aioice gives up as soon as its own checks fail, before
    the caller's checks arrive and teach it the caller's real (peer-reflexive) address, which is
    how a browser offering only mDNS names, or one behind a symmetric NAT, gets connected. The
    connect deadline bounds the wait instead."""
    kept: list[str] = []
    in_section = 0
    for line in _lines(sdp):
        if line == "a=end-of-candidates":
            continue
        if line.startswith("m="):
            in_section = 0
        elif line.startswith(CANDIDATE):
            parts = _candidate_parts(line)
            if (
                parts is None
                or parts[2].lower() != "udp"
                or not advertisable(parts[4], allowed)
                or in_section >= MAX_REMOTE_CANDIDATES_PER_SECTION
            ):
                continue
            in_section += 1
        kept.append(line)
    return "\r\n".join(kept) + "\r\n"


def filter_answer(sdp: str, allowed: tuple[IPNetwork, ...]) -> str:
    """Remove candidates naming addresses that may not be advertised; blank related addresses and
    connection lines that would name them (`raddr 0.0.0.0 rport 9`, RFC 8839 section 5.1)."""
    kept: list[str] = []
    for line in _lines(sdp):
        if line.startswith(CANDIDATE):
            parts = _candidate_parts(line)
            if parts is None or not advertisable(parts[4], allowed):
                continue
            if "raddr" in parts[8:]:
                at = parts.index("raddr", 8)
                if at + 1 < len(parts) and not advertisable(parts[at + 1], allowed):
                    parts[at + 1] = _blank(parts[4])
                    if at + 3 < len(parts) and parts[at + 2] == "rport":
                        parts[at + 3] = "9"
            line = CANDIDATE + " ".join(parts)
        elif line.startswith(("c=", "o=", "a=rtcp:")):
            # `c=IN IP4 addr`, `o=- id version IN IP4 addr`, `a=rtcp:port IN IP4 addr`.
            words = line.split(" ")
            if len(words) >= 3 and words[-3] in ("IN", "c=IN") and not advertisable(words[-1], allowed):
                words[-1] = "::" if words[-2] == "IP6" else "0.0.0.0"
                line = " ".join(words)
        kept.append(line)
    return "\r\n".join(kept) + "\r\n"


def check_offer(sdp: str) -> None:
    """An offer we can answer usefully: readable, audio or video both ways, one section per kind."""
    try:
        description = SessionDescription.parse(sdp)
    # aiortc's parser meets bad input with ValueError, IndexError, KeyError, AssertionError,
    # AttributeError or even StopIteration: all of them mean "not an SDP offer we can read".
    except Exception as exc:  # noqa: BLE001 - the whole input is untrusted; logged below
        log.info("video.echo.unreadable_offer", extra={"error": type(exc).__name__})
        raise invalid("sdp", "is not a valid SDP offer") from None
    kinds = [media.kind for media in description.media]
    if any(kinds.count(kind) > MAX_SECTIONS_PER_KIND for kind in set(kinds)) or not set(kinds) <= MEDIA_KINDS:
        raise invalid("sdp", "may offer at most one audio, one video and one data section")
    if not any(media.kind in ("audio", "video") and media.direction == "sendrecv" for media in description.media):
        raise invalid("sdp", "must offer audio or video to both send and receive (sendrecv)")
    # What aiortc takes for granted and fails on half-way (leaving transports behind) when missing.
    mids = [media.rtp.muxId for media in description.media]
    bundled = [mid for group in description.group for mid in group.items]
    if (
        any(not mid for mid in mids)
        or len(set(mids)) != len(mids)
        or not set(bundled) <= set(mids)
        or len(set(bundled)) != len(bundled)
    ):
        raise invalid("sdp", "needs a distinct a=mid in each section, and BUNDLE groups naming them")
    for media in description.media:
        if media.dtls is None or not media.dtls.fingerprints:
            raise invalid("sdp", "needs a DTLS fingerprint and a=setup in each section")
        if not media.ice.usernameFragment or not media.ice.password:
            raise invalid("sdp", "needs ICE credentials (a=ice-ufrag, a=ice-pwd) in each section")
        if media.kind != "application" and (media.direction not in DIRECTIONS or not media.rtcp_mux):
            raise invalid("sdp", "needs a direction and a=rtcp-mux in each audio and video section")


# --- sessions ----------------------------------------------------------------------------------------


class EchoSession:
    __slots__ = ("deadline", "ended", "opened", "pc", "relay", "timers", "user_id")

    def __init__(self, user_id: UUID, pc: RTCPeerConnection, opened: float, deadline: float) -> None:
        self.user_id = user_id
        self.pc = pc
        self.relay = MediaRelay()
        self.opened = opened
        self.deadline = deadline
        self.timers: list[asyncio.TimerHandle] = []
        # Why it ended ("replaced", "expired", "closed", ...); None while it runs.
        self.ended: str | None = None


class EchoSessions:
    """The echo tests of this process. Used from the app's event loop only."""

    def __init__(self, config: EchoConfig) -> None:
        self.config = config
        self._by_user: dict[UUID, EchoSession] = {}
        self._closing: set[asyncio.Task[None]] = set()

    @classmethod
    def from_settings(cls, settings: Settings) -> EchoSessions:
        return cls(EchoConfig.from_settings(settings))

    @property
    def active(self) -> int:
        return len(self._by_user)

    @property
    def closing(self) -> int:
        """Peers forgotten but still shutting down."""
        return len(self._closing)

    def get(self, user_id: UUID) -> EchoSession | None:
        return self._by_user.get(user_id)

    async def open(self, user_id: UUID, offer_sdp: str) -> str:
        """Answer the caller's offer with a peer that echoes its tracks; return the answer SDP."""
        if self.config.max_sessions == 0:
            raise ProblemError(503, "The echo test is switched off on this server.")
        offer = filter_offer(offer_sdp, self.config.allowed_networks)
        check_offer(offer)
        loop = asyncio.get_running_loop()
        previous = self._by_user.get(user_id)
        if previous is None and len(self._by_user) >= self.config.max_sessions:
            raise self._busy(loop.time())
        now = loop.time()
        pc = RTCPeerConnection(self.config.rtc_configuration(time.time()))
        session = EchoSession(user_id, pc, now, now + self.config.max_seconds)
        # Registered before the first await, so concurrent requests see the slot taken.
        self._by_user[user_id] = session
        if previous is not None:
            self._spawn_close(previous, "replaced")
        session.timers = [
            loop.call_later(self.config.max_seconds, self._spawn_close, session, "expired"),
            loop.call_later(min(CONNECT_SECONDS, self.config.max_seconds), self._close_unconnected, session),
        ]
        self._watch(session)
        try:
            async with asyncio.timeout(ANSWER_SECONDS):
                answer = await self._negotiate(session, offer)
        except BaseException as exc:
            # Replaced by the same user's newer test (or shut down) while answering: say so, rather
            # than report what closing the peer under aiortc's feet made it raise.
            ended_meanwhile = session.ended is not None
            reason = "refused" if isinstance(exc, ProblemError) else type(exc).__name__
            await self._close(session, reason)
            if ended_meanwhile and isinstance(exc, Exception):
                raise self._ended_while_answering(session) from None
            if isinstance(exc, TimeoutError):
                raise ProblemError(
                    503, "The echo test could not be prepared in time; try again.", headers={"Retry-After": "5"}
                ) from None
            raise
        if session.ended is not None:
            raise self._ended_while_answering(session)
        log.info("video.echo.opened", extra={"sessions": len(self._by_user)})
        return filter_answer(answer, self.config.allowed_networks)

    async def close_all(self) -> None:
        for session in list(self._by_user.values()):
            self._spawn_close(session, "shutdown")
        while self._closing:
            await asyncio.gather(*self._closing)

    async def _negotiate(self, session: EchoSession, offer: str) -> str:
        pc = session.pc

        @pc.on("track")
        def echo_track(track: MediaStreamTrack) -> None:
            # Emitted inside setRemoteDescription, so the answer already carries the echo.
            pc.addTrack(session.relay.subscribe(track, buffered=False))

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except OperationError:
            raise invalid("sdp", "offers no codec the echo test supports") from None
        except NEGOTIATION_ERRORS as exc:
            log.info("video.echo.unanswerable_offer", extra={"error": type(exc).__name__})
            raise invalid("sdp", "is not a valid SDP offer") from None
        return pc.localDescription.sdp

    def _watch(self, session: EchoSession) -> None:
        pc = session.pc

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                self._spawn_close(session, pc.connectionState)

    def _close_unconnected(self, session: EchoSession) -> None:
        if session.pc.connectionState != "connected":
            self._spawn_close(session, "never-connected")

    def _busy(self, now: float) -> ProblemError:
        soonest = min((self._ends_by(s) for s in self._by_user.values()), default=now + 1)
        retry_after = max(1, math.ceil(soonest - now))
        return ProblemError(
            429, "Too many echo tests are running; try again shortly.", headers={"Retry-After": str(retry_after)}
        )

    @staticmethod
    def _ended_while_answering(session: EchoSession) -> ProblemError:
        if session.ended == "replaced":
            return ProblemError(409, "A newer echo test of yours replaced this one.")
        return ProblemError(503, "The echo test was stopped; try again.", headers={"Retry-After": "5"})

    def _ends_by(self, session: EchoSession) -> float:
        if session.pc.connectionState == "connected":
            return session.deadline
        return min(session.deadline, session.opened + CONNECT_SECONDS)

    def _spawn_close(self, session: EchoSession, reason: str) -> None:
        """Close from a callback: forget the session now, stop its peer in a task we keep."""
        if not self._forget(session, reason):
            return
        task = asyncio.ensure_future(self._stop(session, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close(self, session: EchoSession, reason: str) -> None:
        if self._forget(session, reason):
            await self._stop(session, reason)

    def _forget(self, session: EchoSession, reason: str) -> bool:
        """Free the slot at once (synchronously); False when the session was already closing."""
        if session.ended is not None:
            return False
        session.ended = reason
        if self._by_user.get(session.user_id) is session:
            del self._by_user[session.user_id]
        for timer in session.timers:
            timer.cancel()
        session.timers = []
        return True

    async def _stop(self, session: EchoSession, reason: str) -> None:
        try:
            # Stops the senders (so the relays' subscriptions), the receivers and the transports.
            await session.pc.close()
        except Exception:
            # aiortc's close stops at the first part that is missing; stop the rest one by one,
            # or their sockets stay open.
            log.exception("video.echo.close_failed")
            await _stop_transports(session.pc)
        seconds = round(asyncio.get_running_loop().time() - session.opened, 1)
        log.info("video.echo.closed", extra={"reason": reason, "seconds": seconds, "sessions": len(self._by_user)})


async def _stop_transports(pc: RTCPeerConnection) -> None:
    transports = {part.transport for t in pc.getTransceivers() for part in (t.sender, t.receiver)}
    if pc.sctp is not None:
        transports.add(pc.sctp.transport)
    for dtls in transports - {None}:
        for stop in (dtls.stop, dtls.transport.stop):
            with contextlib.suppress(Exception):
                await stop()
