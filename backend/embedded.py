"""An embedded PostgreSQL for a machine that has only Python (development and demos).

pgserver ships PostgreSQL in a wheel; its data directory persists between runs under the
settings' data_dir, so demo data survives a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("heima.embedded")


@contextmanager
def embedded_postgresql(data_path: Path) -> Iterator[str]:
    """Start (or join) the embedded server and yield a DSN; stop it when the block ends."""
    import pgserver  # imported here: production never needs it

    data_path.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_path, cleanup_mode="stop")
    try:
        dsn = server.get_uri()
        log.info("embedded.postgresql.started", extra={"data_path": str(data_path)})
        yield dsn
    finally:
        server.cleanup()
