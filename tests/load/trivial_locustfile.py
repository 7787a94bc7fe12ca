"""The most one locust process can offer here: FastHttpUser, no wait, GET /health/live.

Used by ceiling.py; see README.md ("How much one locust process can generate").
"""

from __future__ import annotations

from locust import FastHttpUser, constant, task


class Trivial(FastHttpUser):
    wait_time = constant(0)

    @task
    def live(self) -> None:
        self.client.get("/health/live", name="/health/live")
