"""The websocket origin rules: Bokeh's captured matrix, plus the DNS-rebinding refusal."""

from __future__ import annotations

import pytest

from livedoc.server.origins import OriginPolicy, host_matches, normalize_host

POLICY = OriginPolicy.default(5386)


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        (None, "127.0.0.1:5386", True),  # not a browser
        ("http://localhost:5386", "127.0.0.1:5386", True),  # on the allowlist
        ("http://127.0.0.1:5386", "127.0.0.1:5386", True),  # same origin, loopback host
        ("http://evil.example:5386", "127.0.0.1:5386", False),  # foreign page
        ("http://evil.example:5386", "evil.example:5386", False),  # DNS rebinding: Host is not ours
        ("http://[::1]:5386", "[::1]:5386", True),
        (
            "http://localhost:9999",
            "localhost:5386",
            False,
        ),  # another port of ours is another origin
    ],
)
def test_the_origin_matrix(origin: str | None, host: str, allowed: bool) -> None:
    assert POLICY.allows(origin, host) is allowed


def test_sec_fetch_site_counts_only_for_our_own_host() -> None:
    assert POLICY.allows("http://other:1", "127.0.0.1:5386", "same-origin")
    assert POLICY.allows("http://other:1", "127.0.0.1:5386", "none")
    assert not POLICY.allows("http://other:1", "127.0.0.1:5386", "cross-site")
    assert not POLICY.allows("http://evil:5386", "evil:5386", "same-origin")


def test_an_explicit_allowlist_replaces_the_default() -> None:
    policy = OriginPolicy.default(5386, ["example.com:8080"])
    assert policy.allows("http://example.com:8080", "127.0.0.1:5386")
    assert not policy.allows("http://localhost:5386", "127.0.0.1:5386")
    assert policy.allows(
        "http://example.com:8080", "example.com:8080"
    )  # listed, so its Host is ours


@pytest.mark.parametrize(
    ("host", "port", "pattern", "matches"),
    [
        ("example.com", "80", "example.com", True),
        ("example.com", "8080", "example.com", False),
        ("example.com", "8080", "example.com:*", True),
        ("anything", "1", "*:*", True),
        ("192.168.1.7", "80", "192.168.*.*", True),
        ("192.168.1.7", "80", "192.168.*", False),
        ("10.0.0.1", "5006", "10.0.0.*:5006", True),
    ],
)
def test_patterns(host: str, port: str, pattern: str, matches: bool) -> None:
    assert host_matches(host, port, pattern) is matches


def test_host_parsing() -> None:
    assert normalize_host("LOCALHOST:5006") == ("localhost", "5006")
    assert normalize_host("example.com") == ("example.com", "80")
    assert normalize_host("[::1]:8888") == ("[::1]", "8888")
    assert normalize_host("https-host", 443) == ("https-host", "443")
    assert OriginPolicy.default(1).origin_listed("not a url") is False
