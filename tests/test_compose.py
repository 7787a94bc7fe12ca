"""compose.yaml (and compose.turn.yaml, which adds the TURN relay) are checked here because no
Docker engine runs in CI.

Three kinds of mistake would otherwise only show up on a deploy: a file Compose
rejects (checked against the official Compose specification schema, vendored
unmodified from compose-spec/compose-spec, schema/compose-spec.json), a start order
that lets the api or worker race the database or the migrations, and an environment
the service itself refuses or that ships a default secret.
"""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path

import jsonschema
import yaml

from backend.settings import Settings, known_env_names
from video.echo import EchoConfig

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_TEXT = (ROOT / "compose.yaml").read_text(encoding="utf-8")
TURN_TEXT = (ROOT / "compose.turn.yaml").read_text(encoding="utf-8")
# PyYAML resolves the x-heima-* anchors and `<<` merges, as Compose does.
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]


def merged(base: dict, overlay: dict) -> dict:
    """`docker compose -f base -f overlay`: mappings merge key by key, the overlay's values win."""
    result = dict(base)
    for key, value in overlay.items():
        result[key] = merged(result[key], value) if isinstance(value, dict) and key in result else value
    return result


# The stack with video through TURN (COMPOSE_FILE=compose.yaml:compose.turn.yaml).
WITH_TURN = merged(COMPOSE, yaml.safe_load(TURN_TEXT))
TURN_SERVICES = WITH_TURN["services"]
SCHEMA = json.loads((ROOT / "tests" / "fixtures" / "compose-spec.json").read_text(encoding="utf-8"))

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}, ...
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}")
SECRET_WORDS = ("SECRET", "PASSWORD", "KEY")
# Long enough for HEIMA_SECRET_KEY's 32-character minimum, and URL-safe.
DUMMY = "d" * 40

APP_SERVICES = ("migrate", "api", "worker")
HEALTHY = "service_healthy"
# Who must wait for whom, and for what: the full start-up order of the stack.
EXPECTED_DEPENDS_ON = {
    "postgres": {},
    "redis": {},
    "migrate": {"postgres": HEALTHY},
    "api": {
        "postgres": HEALTHY,
        "redis": HEALTHY,
        "migrate": "service_completed_successfully",
    },
    "worker": {
        "postgres": HEALTHY,
        "redis": HEALTHY,
        "migrate": "service_completed_successfully",
    },
    "caddy": {"api": HEALTHY},
}


def environment(service: str, services: dict | None = None) -> dict[str, str]:
    """A service's environment as a dict (Compose also allows a KEY=VALUE list)."""
    env = (services or SERVICES)[service].get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def interpolate(value: str) -> str:
    """What Compose would pass in, with a dummy for every variable that is not set."""

    def substitute(match: re.Match[str]) -> str:
        return match["arg"] if match["op"] in (":-", "-") else DUMMY

    return INTERPOLATION.sub(substitute, value.replace("$$", "\0")).replace("\0", "$")


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    # The schema names its own draft ($schema): validate with that draft, not a guess.
    validator_class = jsonschema.validators.validator_for(SCHEMA)
    validator_class.check_schema(SCHEMA)
    for document in (COMPOSE, yaml.safe_load(TURN_TEXT), WITH_TURN):
        errors = sorted(validator_class(SCHEMA).iter_errors(document), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_services_start_in_order_behind_health_checks() -> None:
    assert set(SERVICES) == set(EXPECTED_DEPENDS_ON)
    # The relay degrades video when it is missing; nothing waits for it.
    assert set(TURN_SERVICES) == {*EXPECTED_DEPENDS_ON, "coturn"}
    assert "depends_on" not in TURN_SERVICES["coturn"]
    for name, expected in EXPECTED_DEPENDS_ON.items():
        depends_on = SERVICES[name].get("depends_on", {})
        # The short (list) form only waits for containers to start, not to be usable.
        assert isinstance(depends_on, dict), f"{name}: use the long depends_on form"
        conditions = {dep: spec["condition"] for dep, spec in depends_on.items()}
        assert conditions == expected, name


def test_dependencies_and_api_have_health_checks() -> None:
    # `service_healthy` waits forever on a service that has no healthcheck.
    for name in ("postgres", "redis", "api"):
        assert SERVICES[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "/health/ready" in " ".join(SERVICES["api"]["healthcheck"]["test"])


def test_migrate_is_one_shot() -> None:
    # A restarted migration job never counts as completed, so api and worker would
    # wait on it forever.
    assert SERVICES["migrate"]["restart"] == "no"
    assert SERVICES["migrate"]["command"] == ["heima", "migrate"]


def test_app_services_only_set_variables_the_app_reads() -> None:
    # A misspelt HEIMA_* name is silently ignored by the app; catch it here instead.
    known = known_env_names()
    for name in APP_SERVICES:
        heima_keys = {key for key in environment(name) if key.startswith("HEIMA_")}
        assert heima_keys <= known, f"{name}: unknown {sorted(heima_keys - known)}"


def test_app_environment_is_accepted_in_production_mode() -> None:
    for name in APP_SERVICES:
        env = {key: interpolate(value) for key, value in environment(name).items()}
        settings = Settings.from_env(env)  # raises SettingsError on a bad configuration
        assert settings.is_production, name
        assert not settings.uses_embedded_database, name


def test_secrets_are_required_never_defaulted() -> None:
    # Anywhere in the files, a secret-looking variable must be `${NAME:?message}`: a
    # default would let the stack start with a password or key that is public here.
    for match in INTERPOLATION.finditer(COMPOSE_TEXT + TURN_TEXT):
        if any(word in match["name"] for word in SECRET_WORDS):
            assert match["op"] == ":?", f"{match[0]} must use ':?'"
    # A secret-looking key must take its value from such a variable, never a literal.
    for name in TURN_SERVICES:
        for key, value in environment(name, TURN_SERVICES).items():
            if any(word in key for word in SECRET_WORDS):
                refs = list(INTERPOLATION.finditer(value))
                assert refs, f"{name}: {key} has a literal value"
                assert all(ref["op"] == ":?" for ref in refs), f"{name}: {key}"


# --- coturn (docs/reliability.md, R19) -----------------------------------------------------------------------

# Earlier versions let an IPv4-mapped peer address (::ffff:127.0.0.1) past denied-peer-ip.
COTURN_MINIMUM = (4, 9, 0)
# Nobody may reach these through the relay: this host, Docker's and the hospital's networks.
MUST_DENY = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "::ffff:0:0/96",  # IPv4-mapped: the bypass of CVE-2026-27624
    "64:ff9b::/96",  # NAT64 into IPv4 space
    "fc00::/7",
    "fe80::/10",
]


def coturn_options() -> list[tuple[str, str | None]]:
    """The turnserver.conf the coturn service mounts, as (option, value) pairs in order."""
    mounts = {c["source"]: c["target"] for c in TURN_SERVICES["coturn"]["configs"]}
    assert TURN_SERVICES["coturn"]["command"] == ["-c", mounts["turnserver"]]
    options = []
    for line in WITH_TURN["configs"]["turnserver"]["content"].splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, sep, value = line.partition("=")
            options.append((name, value if sep else None))
    return options


def option_values(name: str) -> list[str | None]:
    return [value for option, value in coturn_options() if option == name]


def test_coturn_is_pinned_to_a_version_without_the_relay_bypass():
    image = TURN_SERVICES["coturn"]["image"]
    match = re.fullmatch(r"coturn/coturn:(\d+)\.(\d+)\.(\d+)(?:-[a-z0-9.-]+)?", image)
    assert match, f"{image}: pin an exact coturn/coturn release, never latest or a floating major"
    assert tuple(int(part) for part in match.groups()) >= COTURN_MINIMUM


def test_coturn_denies_relay_to_private_loopback_and_link_local_peers():
    denied = []
    for value in option_values("denied-peer-ip"):
        first, _, last = value.partition("-")
        denied.append((ipaddress.ip_address(first), ipaddress.ip_address(last or first)))
    for cidr in MUST_DENY:
        network = ipaddress.ip_network(cidr)
        covered = any(
            low.version == network.version and low <= network.network_address and network.broadcast_address <= high
            for low, high in denied
        )
        assert covered, f"{cidr} is not in a denied-peer-ip range"
    names = {name for name, _ in coturn_options()}
    assert "no-multicast-peers" in names
    # Either would punch holes into the list above.
    assert not names & {"allowed-peer-ip", "allow-loopback-peers"}


def test_coturn_checks_the_apis_shared_secret_and_has_no_admin_interface():
    names = {name for name, _ in coturn_options()}
    assert {"use-auth-secret", "no-cli", "fingerprint"} <= names
    assert not names & {"lt-cred-mech", "user", "web-admin", "prometheus"}  # no static users, no admin
    assert option_values("realm") == ["heima"]
    (secret,) = option_values("static-auth-secret")
    assert re.fullmatch(r"\$\{HEIMA_TURN_SECRET:\?[^}]*\}", secret)
    assert TURN_SERVICES["coturn"]["healthcheck"]["test"]


def test_the_api_gets_the_turn_servers_and_the_same_secret():
    env = environment("api", TURN_SERVICES)
    assert INTERPOLATION.fullmatch(env["HEIMA_TURN_SECRET"])["name"] == "HEIMA_TURN_SECRET"
    settings = Settings.from_env({key: interpolate(value) for key, value in env.items()})
    assert settings.turn_secret == DUMMY
    assert settings.turn_urls and all(url.startswith("turn:") for url in settings.turn_urls)
    EchoConfig.from_settings(settings)  # the URLs parse the way the echo peer reads them
    # The worker and the migration job have no use for it.
    for name in ("migrate", "worker"):
        assert not {"HEIMA_TURN_SECRET", "HEIMA_TURN_URLS"} & set(environment(name, TURN_SERVICES)), name
    # The merged api keeps everything else compose.yaml gave it.
    assert set(environment("api")) < set(env)


def test_without_the_turn_file_the_stack_runs_without_video_relay():
    env = {key: interpolate(value) for key, value in environment("api").items()}
    assert not {"HEIMA_TURN_SECRET", "HEIMA_TURN_URLS"} & set(env)
    assert "coturn" not in SERVICES and "turnserver" not in COMPOSE.get("configs", {})
    assert "TURN" not in "".join(m["name"] for m in INTERPOLATION.finditer(COMPOSE_TEXT))
    assert Settings.from_env(env).turn_urls == ()


# --- the TLS proxy -------------------------------------------------------------------------------


def test_caddy_terminates_tls_for_the_domain_and_forwards_to_the_api():
    caddy = SERVICES["caddy"]
    assert re.fullmatch(r"caddy:\d+\.\d+\.\d+", caddy["image"]), "pin an exact Caddy release"
    assert {"80:80", "443:443", "443:443/udp"} <= set(caddy["ports"])
    mounts = {c["source"]: c["target"] for c in caddy["configs"]}
    site, *directives = [line.strip() for line in COMPOSE["configs"]["caddyfile"]["content"].splitlines()]
    assert mounts["caddyfile"] == "/etc/caddy/Caddyfile"
    # The site is the domain (Caddy then gets and renews its certificate), never a default.
    assert INTERPOLATION.fullmatch(site)["name"] == "HEIMA_DOMAIN" and INTERPOLATION.fullmatch(site)["op"] == ":?"
    assert "reverse_proxy api:8000" in directives
    assert "/data" in {volume.split(":")[1] for volume in caddy["volumes"]}  # certificates survive restarts
    # Nothing reaches the api but through caddy.
    assert "ports" not in SERVICES["api"]


def test_the_api_trusts_forwarded_headers_from_the_proxy_network_only():
    edge = COMPOSE["networks"]["edge"]["ipam"]["config"][0]["subnet"]
    assert SERVICES["caddy"]["networks"] == ["edge"]
    assert set(SERVICES["api"]["networks"]) == {"default", "edge"}
    # Nobody else is on the proxy network: a peer there is caddy.
    assert [name for name, service in SERVICES.items() if "edge" in service.get("networks", [])] == ["api", "caddy"]
    trusted = environment("api")["HEIMA_TRUSTED_PROXIES"]
    assert trusted == edge
    settings = Settings.from_env({"HEIMA_TRUSTED_PROXIES": interpolate(trusted)})
    (network,) = [ipaddress.ip_network(cidr) for cidr in settings.trusted_proxies]
    assert network.is_private and network.num_addresses <= 16
