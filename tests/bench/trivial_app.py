"""The ceiling for P1, P2 and P8 (docs/performance.md): a trivial Litestar POST on Heima's server config.

    .venv/bin/python -m tests.bench.trivial_app --host 127.0.0.1 --port 8001

One `@post` that decodes the body a phone sends for one measurement (`{"measurements": [{...}]}`,
strictly, into msgspec Structs) and answers with a small JSON, as the upload endpoint does, with
nothing else: no database, no token, no middleware. It is served by `backend.asgi.run`, the
function `heima serve` uses, with the server and worker count of HEIMA_SERVER / HEIMA_WORKERS
(backend/settings.py), so the ceiling always runs on the same server configuration as Heima.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar, post

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from backend.asgi import run  # noqa: E402
from backend.settings import Settings  # noqa: E402

FACTORY = "tests.bench.trivial_app:create"


class Item(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    type: str
    value: float
    unit: str
    measured_at: datetime
    attributes: dict[str, Any] | None = None


class Upload(msgspec.Struct, forbid_unknown_fields=True):
    measurements: list[Item]


class Result(msgspec.Struct):
    id: str
    status: str


class Answer(msgspec.Struct):
    results: list[Result]


@post("/upload", status_code=200)
async def upload(data: Upload) -> Answer:
    return Answer([Result(item.id, "created") for item in data.measurements])


def create() -> Litestar:
    return Litestar(route_handlers=[upload], debug=False, logging_config=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = Settings.from_env()
    run(FACTORY, server=settings.server, workers=settings.workers, host=args.host, port=args.port)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):  # SIGINT: the server has shut down gracefully
        main()
