"""How frames travel between processes: Litestar Channels over Redis pub/sub (in memory for the
single process without Redis), one channel per peer (`heima.video.<meeting>.<peer>`).

A channel carries three kinds of payload: `F` + a frame to pass on to the client as it is (errors,
notices), `R` + the sender's peer id + a frame another peer relays (offers, answers, candidates),
and `C` + a control that also changes what the receiving socket knows (who is in the room,
whether it was admitted, that it must close).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable, Iterable
from typing import Any

import msgspec
from litestar.channels import ChannelsPlugin, Subscriber
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from redis.asyncio import Redis
from redis.exceptions import RedisError

from backend.settings import Settings
from video.messages import encode

log = logging.getLogger("heima.video")

FORWARD = b"F"
CONTROL = b"C"
# `R` + the sender's peer id (36 characters) + a frame one peer relays to another: the receiving
# socket knows whom to blame when frames pile up for it.
RELAY = b"R"
PEER_ID_LENGTH = 36
# Frames waiting for one socket's writer. A client that stops reading fills it; it is then closed
# (and may resume within the grace) rather than silently missing a chunk of candidates.
SUBSCRIBER_BACKLOG = 256


NOTHING = msgspec.Raw(b"null")


class Control(msgspec.Struct, omit_defaults=True):
    op: str  # add | drop | admitted | close
    frame: msgspec.Raw = NOTHING  # the frame to pass on (JSON null: none)
    peer_id: str | None = None
    peers: list[str] | None = None
    code: int | None = None
    only_conn: str | None = None  # close: only this socket
    except_conn: str | None = None  # close: every socket of the peer but this one


_control = msgspec.json.Decoder(Control)
decode_control = _control.decode


def control(op: str, frame: bytes | None = None, **fields: Any) -> bytes:
    raw = msgspec.Raw(frame) if frame is not None else NOTHING
    return CONTROL + encode(Control(op=op, frame=raw, **fields))


def relay(sender: str, frame: bytes) -> bytes:
    return RELAY + sender.encode() + frame


def relayed_by(payload: bytes) -> str | None:
    """The peer that relayed this payload; None for what the server itself sends."""
    return payload[1 : 1 + PEER_ID_LENGTH].decode() if payload[:1] == RELAY else None


class SocketSubscriber(Subscriber):
    """A subscriber that says when its backlog overflowed, and with which payload (Channels only
    drops it)."""

    on_overflow: Callable[[bytes], None] | None = None

    def put_nowait(self, item: bytes | None) -> bool:
        if super().put_nowait(item):
            return True
        if self.on_overflow is not None and item is not None:
            self.on_overflow(item)
        return False


class _PubSubBackend(RedisChannelsPubSubBackend):
    """Litestar's Redis pub/sub backend, owning its client, and surviving a Redis restart: its event
    stream would otherwise end with the first connection error and never deliver again."""

    def __init__(self, *, redis: Redis, key_prefix: str) -> None:
        super().__init__(redis=redis, key_prefix=key_prefix)
        self._subscribing = asyncio.Lock()

    async def subscribe(self, channels: Iterable[str]) -> None:
        # redis-py's PubSub makes its connection on first use after an await: sockets subscribing
        # at once in a fresh process each made one, and the frames for all but the last one's
        # channels went to connections nobody read (measured: hundreds lost). One at a time.
        async with self._subscribing:
            await super().subscribe(channels)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        async with self._subscribing:
            await super().unsubscribe(channels)

    async def on_shutdown(self) -> None:
        await super().on_shutdown()
        await self._redis.aclose()

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        # Litestar's loop also checks each message's channel against a set difference of every
        # subscribed channel (a socket each): O(sockets) per frame. A lookup is enough.
        pubsub = self._pub_sub
        while True:
            try:
                await self._has_subscribed.wait()
                message = await pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=self._stream_sleep_no_subscriptions
                )
            except (RedisError, OSError) as exc:
                log.warning("video.channels.reconnecting", extra={"error": type(exc).__name__})
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            channel = message["channel"]
            if channel in pubsub.channels and channel not in pubsub.pending_unsubscribe_channels:
                yield channel.decode(), message["data"]


def channels_plugin(settings: Settings) -> ChannelsPlugin:
    """Redis pub/sub across processes; in memory for the single process without Redis."""
    if settings.redis_url:
        # Its own client: a subscription blocks on reads, which the request client's 0.25 s socket
        # timeout would cut.
        redis = Redis.from_url(settings.redis_url, socket_connect_timeout=1, health_check_interval=15)
        backend: Any = _PubSubBackend(redis=redis, key_prefix="heima_video")
    else:
        backend = MemoryChannelsBackend()
    return ChannelsPlugin(
        backend=backend,
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=SUBSCRIBER_BACKLOG,
        subscriber_backlog_strategy="backoff",
        subscriber_class=SocketSubscriber,
    )


class Publisher:
    """How the hub sends on channels, faster than one Redis round trip per frame:

    - a channel with a socket in this process gets the payload straight into that socket's queue
      (two peers on one process cost Redis nothing); `everywhere` sends through Redis regardless,
      for what must also reach another process's socket of the same peer (a takeover);
    - the rest goes to Redis in pipelined batches, in order, by one task: one round trip for
      whatever accumulated while the previous batch was on the wire.
    Without Redis everything is local (Channels' memory backend takes what has no local socket).
    """

    def __init__(self, plugin: ChannelsPlugin, redis: Redis | None) -> None:
        self._plugin = plugin
        self._redis = redis
        self.local: dict[str, set[Subscriber]] = {}
        self._pending: list[tuple[bytes, list[str]]] = []
        self._wake = asyncio.Event()

    def attach(self, channel: str, subscriber: Subscriber) -> None:
        self.local.setdefault(channel, set()).add(subscriber)

    def detach(self, channel: str, subscriber: Subscriber) -> None:
        subscribers = self.local.get(channel)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self.local[channel]

    def publish(self, payload: bytes, channels: list[str], *, everywhere: bool = False) -> None:
        remote: list[str] = []
        for channel in channels:
            subscribers = None if everywhere and self._redis is not None else self.local.get(channel)
            if subscribers:
                for subscriber in subscribers:
                    subscriber.put_nowait(payload)
            else:
                remote.append(channel)
        if not remote:
            return
        if self._redis is None:
            self._plugin.publish(payload, remote)
        else:
            self._pending.append((payload, remote))
            self._wake.set()

    async def run(self) -> None:
        assert self._redis is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending, []
                pipe = self._redis.pipeline(transaction=False)
                for payload, channels in batch:
                    for channel in channels:
                        pipe.publish(channel, payload)
                try:
                    await pipe.execute()
                except (RedisError, OSError) as exc:
                    # Signalling is live or useless: a frame lost while Redis is away is not retried.
                    log.warning(
                        "video.channels.publish_failed", extra={"error": type(exc).__name__, "frames": len(batch)}
                    )
