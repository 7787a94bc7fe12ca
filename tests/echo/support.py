"""A real aiortc caller for the echo test, and what it needs to recognise its own video."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable

from aioice.ice import get_host_addresses
from aiortc import (
    AudioStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamTrack
from av import VideoFrame

WIDTH, HEIGHT = 320, 240
# Two colours side by side, far from each other and from grey: a frame showing them is ours.
LEFT = (200, 40, 120)
RIGHT = (30, 180, 60)
# VP8 is lossy and goes through 4:2:0 YUV; measured differences are a few units.
TOLERANCE = 24


def local_addresses() -> tuple[str, ...]:
    """The addresses aioice gathers host candidates on. It never uses 127.0.0.1 (it skips it), so a
    test on one machine connects over the machine's own interface addresses, which are private."""
    return tuple(get_host_addresses(use_ipv4=True, use_ipv6=True))


def candidate_addresses(sdp: str) -> list[str]:
    return [line.split()[4] for line in sdp.splitlines() if line.startswith("a=candidate:")]


def is_public(address: str) -> bool:
    return ipaddress.ip_address(address).is_global


class PatternTrack(VideoStreamTrack):
    """Frames of two known colours; `swapped` exchanges them, so the test can see the echo follow."""

    def __init__(self) -> None:
        super().__init__()
        self.swapped = False

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        left, right = (RIGHT, LEFT) if self.swapped else (LEFT, RIGHT)
        row = bytes(left) * (WIDTH // 2) + bytes(right) * (WIDTH // 2)
        frame = VideoFrame(WIDTH, HEIGHT, "rgb24")
        frame.planes[0].update(row * HEIGHT)
        frame.pts, frame.time_base = pts, time_base
        return frame


def pixel(frame: VideoFrame, x: int, y: int) -> tuple[int, int, int]:
    rgb = frame.reformat(format="rgb24")
    plane = rgb.planes[0]
    at = y * plane.line_size + 3 * x
    data = bytes(plane)
    return data[at], data[at + 1], data[at + 2]


def close_to(colour: tuple[int, int, int], wanted: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= TOLERANCE for a, b in zip(colour, wanted, strict=True))


def shows(frame: VideoFrame, left: tuple[int, int, int], right: tuple[int, int, int]) -> bool:
    """Sampled away from the edge between the halves, where the codec blurs."""
    w, h = frame.width, frame.height
    return close_to(pixel(frame, w // 4, h // 2), left) and close_to(pixel(frame, 3 * w // 4, h // 2), right)


class Caller:
    """The parent's side: a peer that sends a camera (and a microphone) and watches what returns."""

    def __init__(self, *, audio: bool = True) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # no public STUN server
        self.camera = PatternTrack()
        self.pc.addTrack(self.camera)
        if audio:
            self.pc.addTrack(AudioStreamTrack())
        self.received: dict[str, MediaStreamTrack] = {}
        self._arrived = asyncio.Event()

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self.received[track.kind] = track
            self._arrived.set()

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, answer: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def first_video_frame_where(self, predicate: Callable[[VideoFrame], bool], limit: int = 300) -> VideoFrame:
        track = self.received["video"]
        for _ in range(limit):
            frame = await track.recv()
            if predicate(frame):
                return frame
        raise AssertionError(f"none of {limit} echoed frames matched")

    async def an_audio_frame(self) -> object:
        return await self.received["audio"].recv()

    async def close(self) -> None:
        await self.pc.close()


async def wait_until(condition: Callable[[], bool], what: str, seconds: float = 5.0) -> None:
    """Wait for another event loop (the app's) to get somewhere; fail after `seconds`."""
    try:
        async with asyncio.timeout(seconds):
            # Polled: the state belongs to another thread's event loop, which cannot set our Event.
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"not within {seconds} s: {what}") from None
