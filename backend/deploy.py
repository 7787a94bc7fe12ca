"""`heima init`: the `.env` compose.yaml reads, with fresh secrets, so that the stack starts from
three commands (README, "Running it for real"). Nothing here touches a database or the network."""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

# A host name as a certificate names it: letters, digits and hyphens in dot-separated labels.
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
TURN_COMPOSE_FILE = "compose.yaml:compose.turn.yaml"


@dataclass(frozen=True, slots=True)
class EnvRequest:
    domain: str
    contact: str
    turn_external_ip: str | None = None


def render_env(request: EnvRequest, now: datetime | None = None) -> str:
    """The `.env` text; ValueError names what is wrong with the request."""
    from alerting.push.vapid import new_key_pair

    domain = request.domain.strip().lower()
    if not _DOMAIN.fullmatch(domain):
        raise ValueError(f"--domain {request.domain!r} is not a host name (heima.example.org)")
    if not request.contact.startswith(("mailto:", "https://")):
        raise ValueError("--contact must be a mailto: or https: URL push services can reach you at")
    values = {
        "HEIMA_DOMAIN": domain,
        # Hex: it sits inside HEIMA_DATABASE_URL, so it must need no escaping.
        "POSTGRES_PASSWORD": secrets.token_hex(24),
        "HEIMA_SECRET_KEY": secrets.token_urlsafe(48),
        "HEIMA_VAPID_PRIVATE_KEY": new_key_pair()[0],
        "HEIMA_VAPID_SUBJECT": request.contact,
    }
    if request.turn_external_ip is not None:
        try:
            address = ipaddress.IPv4Address(request.turn_external_ip)
        except ValueError:
            raise ValueError(f"--turn-external-ip {request.turn_external_ip!r} is not an IPv4 address") from None
        if not address.is_global:
            raise ValueError(f"--turn-external-ip {address} is not public: phones could not reach the relay")
        values |= {
            "HEIMA_TURN_SECRET": secrets.token_hex(32),
            "TURN_EXTERNAL_IP": str(address),
            "COMPOSE_FILE": TURN_COMPOSE_FILE,
        }
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d")
    lines = [
        f"# Written by `heima init` on {stamp} for compose.yaml. Secrets: keep this file out of version",
        "# control, readable by the operators only, and backed up apart from the database. Replacing",
        "# HEIMA_SECRET_KEY signs everyone out; replacing HEIMA_VAPID_PRIVATE_KEY stops every phone's",
        "# pushes until it subscribes again (docs/operations.md).",
        *(f"{name}={value}" for name, value in values.items()),
    ]
    return "\n".join(lines) + "\n"
