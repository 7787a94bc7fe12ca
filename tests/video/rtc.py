"""Real WebRTC peers (aiortc) driven by the signalling protocol, as a browser would be.

A peer that joins (welcome in the room, or admitted) offers to each peer already there; a peer
answers every offer it gets. Every connection carries a data channel over which both ends say
hello once it opens. aiortc gathers all candidates before it sets a local description, so the
candidates travel inside the SDP.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from tests.video.support import Signal


class MeshPeer:
    def __init__(self, signal: Signal, peer_id: str, name: str) -> None:
        self.signal = signal
        self.peer_id = peer_id
        self.name = name
        self.pcs: dict[str, RTCPeerConnection] = {}
        self.received: dict[str, list[str]] = defaultdict(list)
        self.frames: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self, first: dict[str, Any]) -> None:
        """Handle `first` (a frame already read by the test, e.g. the welcome), then the socket."""
        self._task = asyncio.get_running_loop().create_task(self._run(first))

    def _connection(self, other: str) -> RTCPeerConnection:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pcs[other] = pc

        @pc.on("connectionstatechange")
        def changed() -> None:
            self._changed.set()

        @pc.on("datachannel")
        def on_channel(channel: Any) -> None:
            self._wire(other, channel)

        return pc

    def _wire(self, other: str, channel: Any) -> None:
        @channel.on("message")
        def on_message(message: str) -> None:
            self.received[other].append(message)
            self._changed.set()

        def hello() -> None:
            channel.send(f"hello from {self.name}")

        if channel.readyState == "open":
            hello()
        else:
            channel.on("open", hello)

    async def _offer(self, other: str) -> None:
        pc = self._connection(other)
        self._wire(other, pc.createDataChannel("heima"))
        await pc.setLocalDescription(await pc.createOffer())
        await self.signal.send({"type": "offer", "to": other, "sdp": pc.localDescription.sdp})

    async def _run(self, first: dict[str, Any]) -> None:
        frame = first
        while True:
            kind = frame["type"]
            self.frames.append(frame)
            if kind in ("welcome", "admitted") and (kind == "admitted" or frame["state"] == "joined"):
                for peer in frame["peers"]:
                    await self._offer(peer["peer_id"])
            elif kind == "offer":
                pc = self._connection(frame["from"])
                await pc.setRemoteDescription(RTCSessionDescription(frame["sdp"], "offer"))
                await pc.setLocalDescription(await pc.createAnswer())
                await self.signal.send({"type": "answer", "to": frame["from"], "sdp": pc.localDescription.sdp})
            elif kind == "answer":
                await self.pcs[frame["from"]].setRemoteDescription(RTCSessionDescription(frame["sdp"], "answer"))
            self._changed.set()
            frame = await self.signal.recv(within=3600)

    def connected_to(self, others: list[str]) -> bool:
        return all(
            other in self.pcs and self.pcs[other].connectionState == "connected" and self.received[other]
            for other in others
        )

    async def wait_connected(self, others: list[str]) -> None:
        while not self.connected_to(others):
            if self._task is not None and self._task.done():
                self._task.result()  # raises what stopped the peer
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.5):
                    await self._changed.wait()

    async def wait_for(self, kind: str, peer_id: str) -> None:
        """Until a frame of `kind` about `peer_id` (e.g. "waiting") has come."""
        while not any(f["type"] == kind and f.get("peer", {}).get("peer_id") == peer_id for f in self.frames):
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.5):
                    await self._changed.wait()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        for pc in self.pcs.values():
            await pc.close()
        await self.signal.close()
