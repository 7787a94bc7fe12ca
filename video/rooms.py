"""Who is in a meeting's room right now: shared by every `heima serve` process through Redis.

A room is one Redis hash (peer id → peer record) with a TTL that live processes keep refreshing, so
a room whose processes all died disappears by itself. Every change is a pure function of the room
applied in an optimistic transaction (WATCH/MULTI, retried on conflict): two processes admitting,
leaving and sweeping at once still agree. Without Redis (the embedded single-process mode) the
same functions run on a dict in memory.

Times in records come from the app's clock (seconds since the epoch), so tests move a clock rather
than sleep.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import msgspec
from redis.asyncio import Redis
from redis.exceptions import WatchError

from video.messages import PeerInfo

T = TypeVar("T")

ROOM_KEY = "heima:video:room:"


class Peer(msgspec.Struct):
    peer_id: str
    user_id: str
    display_name: str
    role: str  # host | participant
    state: str  # waiting | joined
    conn: str  # the socket that holds this place now
    seen: float  # last heartbeat of that socket's process
    gone: float | None = None  # when that socket dropped, while the place is kept for a grace

    def info(self) -> PeerInfo:
        return PeerInfo(peer_id=self.peer_id, display_name=self.display_name, role=self.role)


Room = dict[str, Peer]
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(Peer).decode


class RoomStore(Protocol):
    async def change(self, meeting_id: str, change: Callable[[Room], T]) -> T: ...

    async def drop(self, meeting_id: str) -> Room: ...


class RedisRoomStore:
    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self._redis = redis
        self._ttl = ttl_seconds

    async def change(self, meeting_id: str, change: Callable[[Room], T]) -> T:
        key = ROOM_KEY + meeting_id
        for _ in range(50):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    raw: dict[bytes, bytes] = await pipe.hgetall(key)
                    room = {k.decode(): _decode(v) for k, v in raw.items()}
                    result = change(room)
                    encoded = {peer_id: _encode(peer) for peer_id, peer in room.items()}
                    updates = {k: v for k, v in encoded.items() if raw.get(k.encode()) != v}
                    removed = [k for k in raw if k.decode() not in room]
                    pipe.multi()
                    if removed:
                        pipe.hdel(key, *removed)
                    if updates:
                        pipe.hset(key, mapping=updates)
                    if room:
                        pipe.expire(key, self._ttl)
                    else:
                        pipe.delete(key)
                    await pipe.execute()
                    return result
                except WatchError:
                    await asyncio.sleep(0)
        raise RuntimeError(f"room {meeting_id}: too much contention")

    async def drop(self, meeting_id: str) -> Room:
        key = ROOM_KEY + meeting_id
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(key)
            pipe.delete(key)
            raw, _ = await pipe.execute()
        return {k.decode(): _decode(v) for k, v in raw.items()}


class MemoryRoomStore:
    """One process, no Redis: the same changes on dicts (no await inside a change: atomic)."""

    def __init__(self) -> None:
        self._rooms: dict[str, Room] = {}

    async def change(self, meeting_id: str, change: Callable[[Room], T]) -> T:
        room = self._rooms.setdefault(meeting_id, {})
        result = change(room)
        if not room:
            del self._rooms[meeting_id]
        return result

    async def drop(self, meeting_id: str) -> Room:
        return self._rooms.pop(meeting_id, {})


# --- changes: pure functions of a room --------------------------------------------------------------


class RoomFull(Exception):
    pass


@dataclass
class Arrival:
    me: Peer
    resumed: bool
    replaced_conn: str | None
    others: list[Peer]  # joined, not me
    waiting: list[Peer]  # waiting, not me


def arrive(room: Room, newcomer: Peer, max_peers: int) -> Arrival:
    """Take a place: a host joins at once, anyone else waits to be admitted; a sign-in that still
    holds a place (within its grace, or with another socket open) takes it over as it was."""
    previous = room.get(newcomer.peer_id)
    if previous is not None:
        newcomer.state = previous.state
        replaced = previous.conn
    else:
        if len(room) >= max_peers:
            raise RoomFull
        newcomer.state = "joined" if newcomer.role == "host" else "waiting"
        replaced = None
    room[newcomer.peer_id] = newcomer
    return Arrival(
        me=newcomer,
        resumed=previous is not None,
        replaced_conn=replaced,
        others=joined(room, but=newcomer.peer_id),
        waiting=[p for p in room.values() if p.state == "waiting" and p.peer_id != newcomer.peer_id],
    )


def joined(room: Room, but: str | None = None) -> list[Peer]:
    return sorted((p for p in room.values() if p.state == "joined" and p.peer_id != but), key=lambda p: p.peer_id)


@dataclass
class Departure:
    peer: Peer
    remaining: list[Peer] = field(default_factory=list)  # joined peers still in the room


def admit(room: Room, peer_id: str) -> Departure | None:
    """Waiting → joined; None when there is no such waiting peer. (`remaining`: who was there.)"""
    peer = room.get(peer_id)
    if peer is None or peer.state != "waiting":
        return None
    peer.state = "joined"
    return Departure(peer=peer, remaining=joined(room, but=peer_id))


def take_out(room: Room, peer_id: str, conn: str | None = None) -> Departure | None:
    """Remove a peer (when `conn` is given, only if that socket still holds the place)."""
    peer = room.get(peer_id)
    if peer is None or (conn is not None and peer.conn != conn):
        return None
    del room[peer_id]
    return Departure(peer=peer, remaining=joined(room))


def drop_socket(room: Room, peer_id: str, conn: str, now: float) -> None:
    """The socket went away without a "leave": keep the place for the grace period."""
    peer = room.get(peer_id)
    if peer is not None and peer.conn == conn:
        peer.gone = now


def beat(room: Room, conns: dict[str, str], now: float) -> None:
    """A process vouches for the sockets it holds (peer id → socket id)."""
    for peer_id, conn in conns.items():
        peer = room.get(peer_id)
        if peer is not None and peer.conn == conn and peer.gone is None:
            peer.seen = now


def sweep(room: Room, now: float, grace: float, dead_after: float) -> list[Departure]:
    """Take out peers whose socket dropped longer than the grace ago, or whose process stopped
    vouching for them."""
    expired = [
        p.peer_id
        for p in room.values()
        if (p.gone is not None and now - p.gone >= grace) or (p.gone is None and now - p.seen >= dead_after)
    ]
    return [d for peer_id in expired if (d := take_out(room, peer_id)) is not None]
