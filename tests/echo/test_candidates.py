"""The echo peer's address policy and TURN configuration, without a network (pure functions)."""

from __future__ import annotations

import ipaddress

import pytest
from aiortc import RTCIceTransportPolicy

from backend.settings import Settings, SettingsError
from video.echo import (
    MAX_REMOTE_CANDIDATES_PER_SECTION,
    TURN_CREDENTIAL_MARGIN_SECONDS,
    EchoConfig,
    advertisable,
    filter_answer,
    filter_offer,
    turn_credentials,
)

# Shaped like aiortc's answer: raw interface addresses (docs/reliability.md, F5) next to public ones.
ANSWER = "\r\n".join(
    [
        "v=0",
        "o=- 3900000000 3900000000 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "m=video 41577 UDP/TLS/RTP/SAVPF 97",
        "c=IN IP4 192.0.2.2",
        "a=rtcp:9 IN IP4 10.0.0.5",
        "a=candidate:1 1 udp 2130706431 192.0.2.2 41577 typ host",
        "a=candidate:2 1 udp 2130706431 fd00::2 38341 typ host",
        "a=candidate:3 1 udp 2130706431 127.0.0.1 38342 typ host",
        "a=candidate:4 1 udp 2130706431 169.254.10.1 38343 typ host",
        "a=candidate:5 1 udp 2130706431 100.64.0.9 38344 typ host",
        "a=candidate:6 1 udp 2130706431 10.1.2.3 38345 typ host",
        "a=candidate:7 1 udp 2130706431 fe80::1%eth0 38346 typ host",
        "a=candidate:8 1 udp 1694498815 93.184.216.34 40000 typ srflx raddr 10.0.0.5 rport 41577",
        "a=candidate:9 1 udp 16777215 2606:4700::6810:84e5 3478 typ relay raddr 2606:4700::1 rport 5000",
        "a=candidate:10 1 udp 16777215 93.184.216.35 50000 typ relay raddr 172.18.0.3 rport 41000",
        "a=end-of-candidates",
        "m=audio 9 UDP/TLS/RTP/SAVPF 96",
        "c=IN IP6 fd00::2",
        "a=candidate:11 1 udp 2130706431 fd00::2 38347 typ host",
        "",
    ]
)
PRIVATE = ("192.0.2.2", "fd00::2", "127.0.0.1", "169.254.10.1", "100.64.0.9", "10.1.2.3", "10.0.0.5", "172.18.0.3")


def candidates(sdp: str) -> list[list[str]]:
    return [line.split() for line in sdp.splitlines() if line.startswith("a=candidate:")]


def test_the_default_policy_advertises_public_addresses_only():
    answer = filter_answer(ANSWER, ())
    for address in (*PRIVATE, "fe80::1"):
        assert address not in answer
    assert [c[4] for c in candidates(answer)] == ["93.184.216.34", "2606:4700::6810:84e5", "93.184.216.35"]
    # A public related address stays; a private one is blanked the way RFC 8839 does.
    assert candidates(answer)[0][8:] == ["raddr", "0.0.0.0", "rport", "9"]
    assert candidates(answer)[1][8:] == ["raddr", "2606:4700::1", "rport", "5000"]
    assert candidates(answer)[2][8:] == ["raddr", "0.0.0.0", "rport", "9"]
    assert "c=IN IP4 0.0.0.0" in answer.splitlines()
    assert "c=IN IP6 ::" in answer.splitlines()
    assert "a=rtcp:9 IN IP4 0.0.0.0" in answer.splitlines()
    # Everything else is left alone.
    assert "a=end-of-candidates" in answer.splitlines()
    assert answer.endswith("\r\n") and "\n\n" not in answer.replace("\r\n", "\n")


def test_configured_networks_may_be_advertised():
    allowed = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("192.0.2.2"))
    answer = filter_answer(ANSWER, allowed)
    assert [c[4] for c in candidates(answer)] == [
        "192.0.2.2",
        "10.1.2.3",
        "93.184.216.34",
        "2606:4700::6810:84e5",
        "93.184.216.35",
    ]
    assert candidates(answer)[2][8:] == ["raddr", "10.0.0.5", "rport", "41577"]
    assert "c=IN IP4 192.0.2.2" in answer.splitlines()
    assert "fd00::2" not in answer  # an IPv4 network never admits an IPv6 address


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("93.184.216.34", True),
        ("2606:4700::6810:84e5", True),
        ("10.0.0.1", False),
        ("172.31.255.254", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("127.0.0.1", False),
        ("::1", False),
        ("169.254.1.1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:10.0.0.1", False),  # IPv4-mapped (the coturn CVE-2026-27624 trick)
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("224.0.0.251", False),
        ("239.1.2.3", False),
        ("ff02::fb", False),
        ("1f2e3d4c-5b6a-4789-8abc-def012345678.local", False),  # mDNS name
        ("example.org", False),
        ("", False),
    ],
)
def test_advertisable(address, expected):
    assert advertisable(address, ()) is expected


def test_the_offer_keeps_only_candidates_the_server_may_send_checks_to():
    offer_lines = [
        "v=0",
        "m=video 9 UDP/TLS/RTP/SAVPF 96",
        "a=candidate:1 1 udp 2122260223 1f2e3d4c-5b6a-4789-8abc-def012345678.local 50000 typ host",
        "a=candidate:2 1 udp 2122260223 192.168.1.20 50001 typ host",
        "a=candidate:3 1 tcp 1518280447 93.184.216.40 9 typ host tcptype active",
        "a=candidate:4 1 udp 1686052607 93.184.216.40 50002 typ srflx raddr 192.168.1.20 rport 50001",
        "a=candidate:broken",
        *(f"a=candidate:{n} 1 udp 41885439 93.184.217.{n} 3478 typ relay" for n in range(10, 40)),
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "a=candidate:5 1 udp 1686052607 93.184.216.40 50003 typ srflx raddr 192.168.1.20 rport 50001",
        "a=end-of-candidates",
    ]
    offer = filter_offer("\r\n".join(offer_lines), ())
    kept = candidates(offer)
    assert ".local" not in offer and "192.168.1.20 50001 typ host" not in offer
    assert "tcp" not in [c[2] for c in kept] and "a=candidate:broken" not in offer
    video, audio = offer.split("m=audio")
    assert len(candidates(video)) == MAX_REMOTE_CANDIDATES_PER_SECTION
    assert len(candidates(audio)) == 1  # the cap is per section
    assert kept[0][4] == "93.184.216.40"
    # The server keeps listening for the caller's checks (peer-reflexive candidates).
    assert "end-of-candidates" not in offer


def test_an_allowed_network_lets_a_local_caller_be_reached():
    offer = "v=0\r\nm=video 9 X 96\r\na=candidate:2 1 udp 2122260223 192.168.1.20 50001 typ host\r\n"
    assert "192.168.1.20" in filter_offer(offer, (ipaddress.ip_network("192.168.1.0/24"),))


def test_turn_credentials_follow_coturns_rest_scheme():
    # Computed independently:
    #   printf '1700000000:heima-echo' | openssl dgst -sha1 -hmac north-sea-secret -binary | base64
    assert turn_credentials("north-sea-secret", 1_700_000_000) == (
        "1700000000:heima-echo",
        "ybrr8UgBmUuQ2Uux4qdYewW94xI=",
    )


def config(**values) -> EchoConfig:
    return EchoConfig.from_settings(Settings(**values))


def test_without_turn_the_peer_uses_no_ice_server_at_all():
    # aiortc's default for `iceServers=None` is Google's public STUN server: never fall back to it.
    rtc = config().rtc_configuration(now=1_700_000_000)
    assert rtc.iceServers == []
    assert rtc.iceTransportPolicy is RTCIceTransportPolicy.ALL


def test_with_turn_the_peer_relays_only_with_fresh_credentials():
    echo = config(turn_urls=("turn:turn.example.org:3478?transport=udp",), turn_secret="s3cret", echo_max_seconds=60)
    rtc = echo.rtc_configuration(now=1_700_000_000.7)
    (server,) = rtc.iceServers
    expires = 1_700_000_000 + 60 + TURN_CREDENTIAL_MARGIN_SECONDS
    assert server.urls == ["turn:turn.example.org:3478?transport=udp"]
    assert (server.username, server.credential) == turn_credentials("s3cret", expires)
    assert server.username == f"{expires}:heima-echo"
    # Relay candidates only: the peer then sends nothing from its own interfaces.
    assert rtc.iceTransportPolicy is RTCIceTransportPolicy.RELAY


def test_allowed_addresses_keep_host_candidates_even_with_turn():
    echo = config(turn_urls=("turn:turn.example.org",), turn_secret="s", echo_allowed_candidate_ips=("10.0.0.0/8",))
    assert echo.rtc_configuration(now=0).iceTransportPolicy is RTCIceTransportPolicy.ALL


def test_stun_only_servers_get_no_credentials():
    rtc = config(turn_urls=("stun:stun.example.org:3478",)).rtc_configuration(now=0)
    (server,) = rtc.iceServers
    assert server.username is None and server.credential is None
    assert rtc.iceTransportPolicy is RTCIceTransportPolicy.ALL


def test_settings_come_from_the_environment():
    settings = Settings.from_env(
        {
            "HEIMA_ECHO_MAX_SESSIONS": "3",
            "HEIMA_ECHO_MAX_SECONDS": "45",
            "HEIMA_ECHO_ALLOWED_CANDIDATE_IPS": "10.20.0.0/16, 192.0.2.2",
        }
    )
    echo = EchoConfig.from_settings(settings)
    assert (echo.max_sessions, echo.max_seconds) == (3, 45)
    assert echo.allowed_networks == (ipaddress.ip_network("10.20.0.0/16"), ipaddress.ip_network("192.0.2.2/32"))
    assert (Settings().echo_max_sessions, Settings().echo_max_seconds, Settings().echo_allowed_candidate_ips) == (
        4,
        60,
        (),
    )


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"echo_allowed_candidate_ips": ("10.0.0.300",)}, "HEIMA_ECHO_ALLOWED_CANDIDATE_IPS"),
        ({"echo_allowed_candidate_ips": ("eth0",)}, "HEIMA_ECHO_ALLOWED_CANDIDATE_IPS"),
        ({"turn_urls": ("https://turn.example.org",)}, "HEIMA_TURN_URLS"),
        ({"echo_max_seconds": 0}, "HEIMA_ECHO_MAX_SECONDS"),
        ({"echo_max_sessions": -1}, "HEIMA_ECHO_MAX_SESSIONS"),
    ],
)
def test_a_bad_configuration_stops_the_start(values, named):
    with pytest.raises(SettingsError, match=named):
        config(**values)
