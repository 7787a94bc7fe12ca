"""One signalling socket: reads the client's frames, checks them, and writes what comes for it.

Every outgoing frame after the welcome goes through the socket's subscriber queue, so one task
writes to the socket; what the socket knows of the room (whom it may address, whether it was
admitted) changes only with the controls that reach it, in order.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from contextlib import suppress
from typing import TYPE_CHECKING

import msgspec
from litestar.channels import Subscriber
from litestar.connection import WebSocket

from video.channels import FORWARD, PEER_ID_LENGTH, RELAY, SocketSubscriber, control, decode_control, relay, relayed_by
from video.messages import HOST_ONLY, Admit, End, Leave, Remove, decode_client, error, relayed

if TYPE_CHECKING:
    from video.signalling import Hub

log = logging.getLogger("heima.video")

# Close codes (4000–4999 are the application's): a browser cannot read an HTTP status of a refused
# websocket handshake, so the socket is accepted, told why in an `error` frame, then closed.
CLOSE_NORMAL = 1000
CLOSE_REPLACED = 4000
CLOSE_TICKET = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TIMEOUT = 4408
CLOSE_CONFLICT = 4409
CLOSE_UNAVAILABLE = 1011
CLOSE_OVERFLOW = 4429


# A sender may spend this many seconds' worth of its rate at once (an offer to every peer of a full
# mesh, then a burst of candidates), and no more.
BURST_SECONDS = 4.0
# A sender whose frames overflowed someone's backlog is told once per this many seconds.
BLAME_EVERY_SECONDS = 1.0


class Budget:
    """A token bucket: `rate` a second, up to BURST_SECONDS of it at once."""

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.capacity = rate * BURST_SECONDS
        self.tokens = self.capacity
        self.at = now

    def spend(self, amount: float, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        self.tokens -= amount
        return self.tokens >= 0


class Refused(Exception):
    def __init__(self, code: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.title, self.detail = code, title, detail


class Seat(msgspec.Struct, frozen=True):
    meeting_id: str
    user_id: str
    session_id: str  # the sign-in the ticket was issued to: the socket lasts only as long as it
    peer_id: str
    display_name: str
    role: str


class Connection:
    def __init__(self, hub: Hub, socket: WebSocket, seat: Seat) -> None:
        self.hub = hub
        self.socket = socket
        self.seat = seat
        self.meeting_id = seat.meeting_id
        self.peer_id = seat.peer_id
        self.conn_id = uuid.uuid4().hex
        self.state = "waiting"
        self.known: set[str] = set()  # the joined peers besides this one: whom it may address
        self.finished = False  # left, removed or ended: the place is not kept
        self.subscriber: Subscriber | None = None
        self._closing: asyncio.Task[None] | None = None
        settings = hub.settings
        started = time.monotonic()
        self.frames = Budget(settings.video_sender_frames_per_second, started)
        self.bytes = Budget(settings.video_sender_bytes_per_second, started)
        self.throttled = False  # over its budget: told to stop, its frames are dropped from then on
        self._blamed: dict[str, float] = {}  # senders told they overflowed this socket, and when

    # writing: the subscriber's task after the welcome, directly before it

    async def send(self, frame: bytes) -> None:
        try:
            await self.socket.send({"type": "websocket.send", "text": frame.decode()})
        except Exception:  # noqa: BLE001 - a socket that is gone: its reader notices and cleans up
            return

    def queue(self, frame: bytes) -> None:
        if self.subscriber is not None:
            self.subscriber.put_nowait(FORWARD + frame)

    def watch(self, subscriber: Subscriber) -> None:
        self.subscriber = subscriber
        if isinstance(subscriber, SocketSubscriber):
            subscriber.on_overflow = self.overflowed

    def overflowed(self, payload: bytes) -> None:
        """Frames pile up for this socket. When the one that did not fit was relayed by a peer,
        that sender is flooding: it is closed (4429), never this socket, and its frame dropped.
        When it was the server's own (a notice, a change of the room), this client stopped reading:
        it is closed rather than left to miss some of them unnoticed, and resumes within the grace."""
        sender = relayed_by(payload)
        if sender is not None:
            now = time.monotonic()
            if now - self._blamed.get(sender, -BLAME_EVERY_SECONDS) >= BLAME_EVERY_SECONDS:
                self._blamed[sender] = now
                log.warning("video.signal.flooded_by_peer")
                frame = error("Too many messages", "Your frames piled up at another peer; slow down and join again.")
                self.hub.publish(
                    self.meeting_id, [sender], control("close", frame, code=CLOSE_OVERFLOW), everywhere=True
                )
            return
        if self._closing is None and not self.finished:
            log.warning("video.signal.overflow")
            self._closing = asyncio.get_running_loop().create_task(self.close(CLOSE_OVERFLOW))

    def complain(self, title: str, detail: str) -> None:
        self.queue(error(title, detail))

    async def close(self, code: int) -> None:
        with suppress(Exception):
            await self.socket.close(code=code)

    async def deliver(self, payload: bytes) -> None:
        try:
            await self._deliver(payload)
        except Exception:  # one bad payload must not stop the socket's writer
            log.exception("video.signal.deliver_failed")

    async def _deliver(self, payload: bytes) -> None:
        if payload[:1] == FORWARD:
            await self.send(payload[1:])
            return
        if payload[:1] == RELAY:
            await self.send(payload[1 + PEER_ID_LENGTH :])
            return
        message = decode_control(payload[1:])
        if message.op == "add" and message.peer_id:
            self.known.add(message.peer_id)
        elif message.op == "drop" and message.peer_id:
            self.known.discard(message.peer_id)
        elif message.op == "admitted":
            self.state = "joined"
            self.known = set(message.peers or ())
        elif message.op == "close":
            if message.only_conn not in (None, self.conn_id) or message.except_conn == self.conn_id:
                return
            # 4429 keeps the place for the grace (the client resumes); every other close gives it up.
            self.finished = message.code != CLOSE_OVERFLOW
            if (frame := bytes(message.frame)) != b"null":
                await self.send(frame)
            await self.close(message.code or CLOSE_NORMAL)
            return
        if (frame := bytes(message.frame)) != b"null":
            await self.send(frame)

    # reading

    async def read(self) -> None:
        limit = self.hub.settings.video_max_message_bytes
        while not self.finished:
            message = await self.socket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if self.throttled:
                continue  # told to stop and being closed: nothing more of it is read
            if not self.within_budget(len(text) if text is not None else len(message.get("bytes") or b"")):
                continue
            if text is None:
                self.complain("Malformed message", "Frames are JSON text, not binary.")
                continue
            if len(text) > limit or (len(text) > limit // 4 and len(text.encode()) > limit):
                self.complain("Message too large", f"A frame holds at most {limit} bytes.")
                continue
            await self.handle(text)

    def within_budget(self, size: int) -> bool:
        """Every frame counts against the sender's rate of frames and bytes, valid or not. Past it
        the sender is told, then closed with 4429 (after what is already queued for it), and what
        it sends meanwhile is dropped: a peer cannot flood the others' backlogs."""
        now = time.monotonic()
        frames_left = self.frames.spend(1, now)
        bytes_left = self.bytes.spend(size, now)
        if frames_left and bytes_left:
            return True
        self.throttled = True
        log.warning("video.signal.over_budget")
        frame = error("Too many messages", "You sent more, or larger, frames than signalling allows; join again.")
        if self.subscriber is not None:
            self.subscriber.put_nowait(control("close", frame, code=CLOSE_OVERFLOW, only_conn=self.conn_id))
        return False

    async def handle(self, text: str) -> None:
        try:
            message = decode_client(text)
        except msgspec.ValidationError as exc:
            self.complain("Invalid message", str(exc))
            return
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            self.complain("Malformed message", "A frame is one JSON object with a known type.")
            return
        if isinstance(message, Leave):
            self.finished = True
            await self.hub.leave(self)
            await self.close(CLOSE_NORMAL)
        elif isinstance(message, HOST_ONLY):
            if self.seat.role != "host":
                self.complain("Hosts only", "Only a host may admit, remove or end.")
            elif isinstance(message, Admit):
                if not await self.hub.admit(self, str(message.peer_id)):
                    self.complain("No such peer", "Nobody with this peer id is waiting to be admitted.")
            elif isinstance(message, Remove):
                problem = await self.hub.remove(self, str(message.peer_id))
                if problem:
                    self.complain("Cannot remove", problem)
            elif isinstance(message, End):
                await self.hub.end(self)
        elif self.state != "joined":
            self.complain("Waiting", "You are in the waiting room until a host admits you.")
        elif (target := str(message.to)) not in self.known:
            self.complain("No such peer", "The peer you addressed is not in this meeting.")
        else:
            self.hub.publish(self.meeting_id, [target], relay(self.peer_id, relayed(message, self.peer_id)))
