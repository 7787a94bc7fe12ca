"""Secrets at rest: keyed token hashes, argon2id passwords, activation codes.

Tokens and codes are stored only as HMAC-SHA256 under the service's secret key, so a copy of the
database alone cannot be turned into working tokens, nor brute-forced back into activation codes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from backend.errors import BusyError

ACCESS_PREFIX = "heima_at_"
REFRESH_PREFIX = "heima_rt_"
# Crockford base32 without I, L, O, U: easy to read aloud and to type on a phone at 3 am.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_LENGTH = 12  # 60 bits
# argon2 releases the GIL and takes a core for tens of milliseconds: ten sign-ins at a shift change
# in ten threads starved the event loop on two cores (every other request took seconds). At most
# this many hash at once, which leaves a core for the loop; the rest wait their turn, up to
# `queue` of them (HEIMA_PASSWORD_HASH_QUEUE): beyond that a sign-in is told to come back later.
HASHING_SLOTS = max(1, (os.cpu_count() or 2) - 1)
DEFAULT_HASH_QUEUE = 32


class Secrets:
    def __init__(self, secret_key: str, *, time_cost: int, memory_kib: int, queue: int = DEFAULT_HASH_QUEUE) -> None:
        self._key = hashlib.sha256(secret_key.encode()).digest()
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1, type=Type.ID)
        self._hashing = asyncio.Semaphore(HASHING_SLOTS)
        self._queue = queue
        self.waiting = 0  # sign-ins waiting for a slot (read by tests and nothing else)
        self._dummy: str | None = None

    def token_hash(self, token: str) -> bytes:
        return hmac.new(self._key, token.encode(), hashlib.sha256).digest()

    @staticmethod
    def new_token(prefix: str) -> str:
        return prefix + secrets.token_urlsafe(32)

    @staticmethod
    def new_activation_code() -> str:
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
        return "-".join(raw[i : i + 4] for i in range(0, _CODE_LENGTH, 4))

    def activation_code_hash(self, code: str) -> bytes:
        return self.token_hash(normalise_activation_code(code))

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """A hashing slot, or 503 with Retry-After when `queue` others already wait for one."""
        if self._hashing.locked() and self.waiting >= self._queue:
            raise BusyError("Too many sign-ins at once; try again in a moment.")
        self.waiting += 1
        try:
            await self._hashing.acquire()
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self._hashing.release()

    async def hash_password(self, password: str) -> str:
        # argon2 is deliberately slow; keep it off the event loop.
        async with self._slot():
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify_password(self, password_hash: str | None, password: str) -> bool:
        """Constant work whether or not the account exists, so timing tells nothing."""
        async with self._slot():
            candidate = password_hash or await self._dummy_hash()
            try:
                ok = await asyncio.to_thread(self._hasher.verify, candidate, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False
        return ok and password_hash is not None

    async def _dummy_hash(self) -> str:
        """A hash to verify against for an unknown account; made once, off the event loop."""
        if self._dummy is None:
            self._dummy = await asyncio.to_thread(self._hasher.hash, secrets.token_urlsafe(16))
        return self._dummy


def normalise_activation_code(code: str) -> str:
    """Accept what people type: lower case, spaces, dashes, and O/I/L for 0/1/1."""
    cleaned = code.upper().replace("-", "").replace(" ", "")
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
