"""Password hashing leaves the event loop a core: at most HASHING_SLOTS argon2 runs at once, however
many sign-ins arrive together (a shift change), and they all still succeed."""

from __future__ import annotations

import asyncio
import threading

from backend.security import HASHING_SLOTS, Secrets


class CountingHasher:
    """The real argon2 hasher, counting how many of its calls overlap."""

    def __init__(self, hasher) -> None:
        self._hasher = hasher
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0

    def _counted(self, call, *args):
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            return call(*args)
        finally:
            with self._lock:
                self.running -= 1

    def hash(self, password: str) -> str:
        return self._counted(self._hasher.hash, password)

    def verify(self, stored: str, password: str) -> bool:
        return self._counted(self._hasher.verify, stored, password)


async def test_concurrent_sign_ins_hash_a_few_at_a_time_and_all_succeed():
    secrets = Secrets("k" * 40, time_cost=2, memory_kib=4096)
    stored = await secrets.hash_password("correct horse battery staple")
    counting = CountingHasher(secrets._hasher)
    secrets._hasher = counting

    right = [secrets.verify_password(stored, "correct horse battery staple") for _ in range(8)]
    wrong = [secrets.verify_password(stored, "wrong") for _ in range(4)]
    missing = [secrets.verify_password(None, "anything") for _ in range(2)]
    results = await asyncio.gather(*right, *wrong, *missing, secrets.hash_password("another long password"))

    assert results[:8] == [True] * 8
    assert results[8:14] == [False] * 6
    assert results[14].startswith("$argon2id$")
    assert counting.most <= HASHING_SLOTS
    assert counting.running == 0
