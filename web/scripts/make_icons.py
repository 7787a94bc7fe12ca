"""Writes each app's PNG icons (a white house on the app's colour), with the standard library only.

    python3 web/scripts/make_icons.py

The icons are committed; run this again only to change them.
"""

import struct
import zlib
from pathlib import Path

WEB = Path(__file__).resolve().parent.parent
APPS = {"family": (11, 93, 87), "care": (29, 63, 114)}
WHITE = (255, 255, 255)


def inside_house(x: float, y: float) -> bool:
    """The house in unit coordinates (0..1), drawn inside the maskable safe zone (the middle 60%)."""
    roof = 0.28 <= y <= 0.5 and abs(x - 0.5) <= (y - 0.28) / 0.22 * 0.3
    body = 0.5 <= y <= 0.74 and 0.3 <= x <= 0.7
    door = 0.6 <= y <= 0.74 and 0.45 <= x <= 0.55
    return (roof or body) and not door


def png(size: int, colour: tuple[int, int, int]) -> bytes:
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter: none
        for px in range(size):
            row += bytes(WHITE if inside_house((px + 0.5) / size, (py + 0.5) / size) else colour)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(rows), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


for app, colour in APPS.items():
    for size in (192, 512):
        (WEB / app / "public" / f"icon-{size}.png").write_bytes(png(size, colour))
