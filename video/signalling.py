"""The signalling service of a process: tickets in, rooms in Redis, frames through Channels.

Each socket (connection.py) subscribes to its own channel; whatever a peer sends to another is
published on the other's channel, so it reaches the other's socket in whichever `heima serve`
process holds it. Room membership changes are transactions on the room (rooms.py); the process
that makes a change tells the peers concerned. A heartbeat vouches for this process's sockets and
sweeps out peers whose grace has run out or whom no process vouches for any more.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncGenerator, Iterable
from contextlib import asynccontextmanager, suppress
from uuid import UUID

import asyncpg
from litestar import Litestar
from litestar.channels import ChannelsPlugin
from litestar.connection import WebSocket
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from backend.clock import Clock
from backend.db import load_queries
from backend.security import Secrets
from backend.settings import Settings
from video import rooms
from video.channels import FORWARD, Publisher, channels_plugin, control
from video.connection import (
    CLOSE_CONFLICT,
    CLOSE_FORBIDDEN,
    CLOSE_NORMAL,
    CLOSE_REPLACED,
    CLOSE_TICKET,
    CLOSE_TIMEOUT,
    CLOSE_UNAVAILABLE,
    Connection,
    Refused,
    Seat,
)
from video.messages import Admitted, Ended, PeerJoined, PeerLeft, Waiting, Welcome, encode, error
from video.rooms import Peer, RoomFull, RoomStore
from video.service import TICKET_PREFIX

__all__ = ["Hub", "channels_plugin", "lifespan"]

log = logging.getLogger("heima.video")
queries = load_queries(__file__)

# --- the process's hub -----------------------------------------------------------------------------


class Hub:
    """This process's sockets, the shared rooms, and the heartbeat that keeps both honest."""

    def __init__(
        self,
        *,
        channels: ChannelsPlugin,
        publisher: Publisher,
        store: RoomStore,
        settings: Settings,
        clock: Clock,
        pool: asyncpg.Pool,
        secrets: Secrets,
    ) -> None:
        self.channels = channels
        self.publisher = publisher
        self.store = store
        self.settings = settings
        self.clock = clock
        self.pool = pool
        self.secrets = secrets
        self.connections: dict[str, Connection] = {}
        self._timers: set[asyncio.Task[None]] = set()

    def now(self) -> float:
        return self.clock().timestamp()

    @staticmethod
    def channel(meeting_id: str, peer_id: str) -> str:
        return f"heima.video.{meeting_id}.{peer_id}"

    def publish(self, meeting_id: str, peer_ids: Iterable[str], payload: bytes, *, everywhere: bool = False) -> None:
        channels = [self.channel(meeting_id, peer_id) for peer_id in peer_ids]
        if channels:
            self.publisher.publish(payload, channels, everywhere=everywhere)

    # a socket's life

    async def serve(self, socket: WebSocket, meeting_id: UUID, ticket: str | None) -> None:
        await socket.accept()
        try:
            seat = await self.redeem(meeting_id, ticket, socket.headers.get("authorization"))
        except Refused as refused:
            log.info("video.signal.refused", extra={"code": refused.code})
            with suppress(Exception):
                await socket.send({"type": "websocket.send", "text": error(refused.title, refused.detail).decode()})
                await socket.close(code=refused.code)
            return
        connection = Connection(self, socket, seat)
        self.connections[connection.conn_id] = connection
        arrived = False
        try:
            channel = self.channel(seat.meeting_id, seat.peer_id)
            async with self.channels.start_subscription(channel) as subscriber:
                connection.watch(subscriber)
                self.publisher.attach(channel, subscriber)
                try:
                    arrival = await self.arrive(connection)
                except RoomFull:
                    limit = self.settings.video_max_peers
                    await connection.send(
                        error("Meeting full", f"A meeting holds at most {limit} people; nobody more can join.")
                    )
                    await connection.close(CLOSE_CONFLICT)
                    return
                arrived = True
                await self.welcome(connection, arrival)
                async with subscriber.run_in_background(connection.deliver, join=False):
                    await connection.read()
        except (RedisError, OSError) as exc:
            log.warning("video.signal.unavailable", extra={"error": type(exc).__name__})
            await connection.send(error("Signalling unavailable", "Try again in a moment."))
            await connection.close(CLOSE_UNAVAILABLE)
        finally:
            self.connections.pop(connection.conn_id, None)
            if connection.subscriber is not None:
                self.publisher.detach(self.channel(seat.meeting_id, seat.peer_id), connection.subscriber)
            if arrived and not connection.finished:
                with suppress(RedisError, OSError):
                    await self.dropped(connection)

    async def redeem(self, meeting_id: UUID, ticket: str | None, authorization: str | None) -> Seat:
        unusable = Refused(
            CLOSE_TICKET, "Not signed in", "The ticket is missing, used or expired: ask for a new one (POST …/join)."
        )
        if not ticket or not ticket.startswith(TICKET_PREFIX) or len(ticket) > 100:
            raise unusable
        now = self.clock()
        bearer = None
        if authorization:
            scheme, _, token = authorization.partition(" ")
            bearer = token.strip() if scheme.lower() == "bearer" else ""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(queries.redeem_ticket, self.secrets.token_hash(ticket))
            holder = (
                await conn.fetchval(queries.select_token_user, self.secrets.token_hash(bearer), now) if bearer else None
            )
        if row is None or row["expires_at"] <= now or not row["signed_in"]:
            raise unusable
        if row["meeting_id"] != meeting_id:
            raise Refused(CLOSE_FORBIDDEN, "Wrong meeting", "This ticket is for another meeting.")
        if bearer is not None and holder != row["user_id"]:
            raise Refused(CLOSE_FORBIDDEN, "Not your ticket", "This ticket was issued to someone else.")
        if row["role"] is None:
            raise Refused(CLOSE_FORBIDDEN, "Not a participant", "You are not a participant of this meeting.")
        if row["ended_at"] is not None:
            raise Refused(CLOSE_CONFLICT, "Meeting ended", "The meeting has ended.")
        return Seat(
            meeting_id=str(row["meeting_id"]),
            user_id=str(row["user_id"]),
            session_id=str(row["session_id"]),
            peer_id=str(row["peer_id"]),
            display_name=row["display_name"],
            role=row["role"],
        )

    async def arrive(self, connection: Connection) -> rooms.Arrival:
        seat = connection.seat
        newcomer = Peer(
            peer_id=seat.peer_id,
            user_id=seat.user_id,
            display_name=seat.display_name,
            role=seat.role,
            state="waiting",
            conn=connection.conn_id,
            seen=self.now(),
        )
        limit = self.settings.video_max_peers
        return await self.store.change(seat.meeting_id, lambda room: rooms.arrive(room, newcomer, limit))

    async def welcome(self, connection: Connection, arrival: rooms.Arrival) -> None:
        """The welcome goes out before anything queued for the socket (all of which happened after
        its arrival), then the others learn about it."""
        me = arrival.me
        connection.state = me.state
        present = arrival.others if me.state == "joined" else []
        connection.known = {p.peer_id for p in present}
        await connection.send(
            encode(
                Welcome(
                    peer_id=me.peer_id,
                    role=me.role,
                    state=me.state,  # type: ignore[arg-type]
                    peers=[p.info() for p in present],
                    resumed=arrival.resumed,
                )
            )
        )
        if me.state == "joined" and me.role == "host":
            for peer in arrival.waiting:
                await connection.send(encode(Waiting(peer=peer.info())))
        meeting_id = connection.meeting_id
        if arrival.resumed:
            if arrival.replaced_conn:
                frame = error("Taken over", "You joined this meeting again from elsewhere.")
                self.publish(
                    meeting_id,
                    [me.peer_id],
                    control("close", frame, code=CLOSE_REPLACED, except_conn=connection.conn_id),
                    everywhere=True,  # the socket it replaces may be in another process
                )
        elif me.state == "joined":
            self.publish(
                meeting_id,
                [p.peer_id for p in arrival.others],
                control("add", encode(PeerJoined(peer=me.info())), peer_id=me.peer_id),
            )
        else:
            hosts = [p.peer_id for p in arrival.others if p.role == "host"]
            self.publish(meeting_id, hosts, FORWARD + encode(Waiting(peer=me.info())))

    def announce_departure(self, meeting_id: str, departure: rooms.Departure) -> None:
        peer = departure.peer
        frame = encode(PeerLeft(peer_id=peer.peer_id))
        if peer.state == "joined":
            others = [p.peer_id for p in departure.remaining]
            self.publish(meeting_id, others, control("drop", frame, peer_id=peer.peer_id))
        else:
            hosts = [p.peer_id for p in departure.remaining if p.role == "host"]
            self.publish(meeting_id, hosts, FORWARD + frame)

    async def leave(self, connection: Connection) -> None:
        departure = await self.store.change(
            connection.meeting_id, lambda room: rooms.take_out(room, connection.peer_id, connection.conn_id)
        )
        if departure is not None:
            self.announce_departure(connection.meeting_id, departure)

    async def dropped(self, connection: Connection) -> None:
        """The socket went away without saying goodbye: keep its place for the grace period."""
        now = self.now()
        await self.store.change(
            connection.meeting_id, lambda room: rooms.drop_socket(room, connection.peer_id, connection.conn_id, now)
        )
        grace = self.settings.video_reconnect_grace_seconds
        task = asyncio.get_running_loop().create_task(self._sweep_later(connection.meeting_id, grace + 0.05))
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    async def _sweep_later(self, meeting_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        with suppress(RedisError, OSError):
            await self.sweep([meeting_id])

    async def admit(self, host: Connection, peer_id: str) -> bool:
        admission = await self.store.change(host.meeting_id, lambda room: rooms.admit(room, peer_id))
        if admission is None:
            return False
        peer = admission.peer
        present = admission.remaining
        # The others first: the newcomer offers to them as soon as it is admitted, and one Redis
        # connection per process delivers in publishing order, so they know it before its offer.
        joined_frame = encode(PeerJoined(peer=peer.info()))
        self.publish(host.meeting_id, [p.peer_id for p in present], control("add", joined_frame, peer_id=peer.peer_id))
        frame = encode(Admitted(peers=[p.info() for p in present]))
        self.publish(host.meeting_id, [peer.peer_id], control("admitted", frame, peers=[p.peer_id for p in present]))
        return True

    async def remove(self, host: Connection, peer_id: str) -> str | None:
        def take(room: rooms.Room) -> rooms.Departure | str:
            peer = room.get(peer_id)
            if peer is None:
                return "Nobody with this peer id is in the meeting."
            if peer.role == "host":
                return "A host cannot be removed."
            return rooms.take_out(room, peer_id) or "Nobody with this peer id is in the meeting."

        outcome = await self.store.change(host.meeting_id, take)
        if isinstance(outcome, str):
            return outcome
        self.announce_departure(host.meeting_id, outcome)
        frame = error("Removed", "A host removed you from the meeting.")
        self.publish(
            host.meeting_id,
            [peer_id],
            control("close", frame, code=CLOSE_FORBIDDEN, only_conn=outcome.peer.conn),
        )
        return None

    async def end(self, host: Connection) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(queries.end_meeting, UUID(host.meeting_id), UUID(host.seat.user_id), self.clock())
        room = await self.store.drop(host.meeting_id)
        self.publish(host.meeting_id, list(room), control("close", encode(Ended()), code=CLOSE_NORMAL))

    # heartbeat and sweep

    async def heartbeat(self) -> None:
        """Vouch for this process's sockets, so that other processes do not sweep them out."""
        now = self.now()
        held: dict[str, dict[str, str]] = defaultdict(dict)
        for connection in list(self.connections.values()):
            if not connection.finished:
                held[connection.meeting_id][connection.peer_id] = connection.conn_id
        for meeting_id, conns in held.items():
            await self.store.change(meeting_id, lambda room, conns=conns: rooms.beat(room, conns, now))

    async def sweep(self, meeting_ids: list[str] | None = None) -> None:
        """Take out the peers past their grace or no longer vouched for, in the given rooms or in
        those this process has sockets in (whoever is in a room sweeps it; a room nobody is in any
        more expires with its TTL)."""
        now = self.now()
        grace = self.settings.video_reconnect_grace_seconds
        dead_after = 3 * self.settings.video_heartbeat_seconds
        if meeting_ids is None:
            meeting_ids = sorted({connection.meeting_id for connection in list(self.connections.values())})
        for meeting_id in meeting_ids:
            departures = await self.store.change(meeting_id, lambda room: rooms.sweep(room, now, grace, dead_after))
            for departure in departures:
                self.announce_departure(meeting_id, departure)
                frame = error("Timed out", "This socket stopped answering; join again.")
                self.publish(
                    meeting_id,
                    [departure.peer.peer_id],
                    control("close", frame, code=CLOSE_TIMEOUT, only_conn=departure.peer.conn),
                )

    async def recheck(self) -> None:
        """End this process's sockets whose sign-in is over (logged out, revoked, the account
        disabled: 4401) or who no longer take part in the meeting (4403): a ticket let them in,
        but only the sign-in keeps them there. The others learn that the peer left."""
        live = [c for c in list(self.connections.values()) if not c.finished]
        if not live:
            return
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                queries.select_seats_held,
                [UUID(c.seat.session_id) for c in live],
                [UUID(c.meeting_id) for c in live],
            )
        held = {(str(row["session_id"]), str(row["meeting_id"])): row for row in rows}
        for connection in live:
            row = held.get((connection.seat.session_id, connection.meeting_id))
            if row is not None and row["signed_in"] and row["participant"]:
                continue
            if row is None or not row["signed_in"]:
                code, frame = CLOSE_TICKET, error("Signed out", "This sign-in has ended; sign in and join again.")
            else:
                code, frame = CLOSE_FORBIDDEN, error("Not a participant", "You no longer take part in this meeting.")
            log.info("video.signal.revoked", extra={"code": code})
            await self.expel(connection, code, frame)

    async def expel(self, connection: Connection, code: int, frame: bytes) -> None:
        """Take a socket's peer out of the room (the others are told) and close it, through its own
        queue so that it goes after whatever was already on its way to it."""
        departure = await self.store.change(
            connection.meeting_id, lambda room: rooms.take_out(room, connection.peer_id, connection.conn_id)
        )
        if departure is not None:
            self.announce_departure(connection.meeting_id, departure)
        self.publish(
            connection.meeting_id,
            [connection.peer_id],
            control("close", frame, code=code, only_conn=connection.conn_id),
        )

    async def tick(self) -> None:
        await self.heartbeat()
        await self.recheck()
        await self.sweep()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.settings.video_heartbeat_seconds)
            try:
                await self.tick()
            except Exception:
                log.warning("video.heartbeat.failed", exc_info=True)


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
    """Start this process's hub (after the app's own lifespan made the pool and Redis client)."""
    state = app.state
    settings: Settings = state.settings
    redis: Redis | None = None
    if settings.redis_url:
        # Not the request client (0.25 s, docs/reliability.md, F3): without Redis there is no
        # signalling at all, and a burst of sockets joining must not fail on a busy second. Still
        # bounded: one quick retry, two seconds a call.
        # A blocking pool: a thousand sockets closing at once queue for a connection (up to the
        # same two seconds) instead of failing (redis-py's default pool refuses past 100).
        pool = BlockingConnectionPool.from_url(
            settings.redis_url, max_connections=50, timeout=2, socket_timeout=2, socket_connect_timeout=1
        )
        redis = Redis(connection_pool=pool, retry=Retry(NoBackoff(), 1))
        ttl = max(30, 4 * settings.video_heartbeat_seconds + settings.video_reconnect_grace_seconds)
        store: RoomStore = rooms.RedisRoomStore(redis, ttl)
    else:
        store = rooms.MemoryRoomStore()
    channels = app.plugins.get(ChannelsPlugin)
    publisher = Publisher(channels, redis)
    hub = Hub(
        channels=channels,
        publisher=publisher,
        store=store,
        settings=settings,
        clock=state.clock,
        pool=state.db_pool,
        secrets=state.secrets,
    )
    state.video_hub = hub
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(hub.run())]
    if redis is not None:
        tasks.append(loop.create_task(publisher.run()))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
        if redis is not None:
            await redis.aclose()
        for timer in list(hub._timers):
            timer.cancel()
