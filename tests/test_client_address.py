"""The client's address (issue 15): REMOTE_ADDR unless the configured proxy
sent the request, then the right-most X-Forwarded-For entry no trusted proxy
wrote; never a header a client can set when there is no proxy. The login
limit (django-axes) and the ballot limit both count by it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client, RequestFactory

from assessment.views_ballots import _failures_key, count_wrong_code
from guazhi.http import client_address
from tests.factories import UserFactory

BASE_DIR = Path(__file__).resolve().parent.parent
SPOOFS = ["203.0.113.1", "203.0.113.1, 198.51.100.2", "not-an-address", "127.0.0.1"]


def _request(remote="10.0.0.5", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **extra)


@pytest.fixture
def behind_one_proxy(settings):
    settings.GUAZHI_TRUSTED_PROXY_COUNT = 1
    settings.GUAZHI_TRUSTED_PROXIES = []


def test_without_a_proxy_a_spoofed_x_forwarded_for_is_ignored():
    assert django_settings.GUAZHI_TRUSTED_PROXY_COUNT == 0  # the default
    for spoof in SPOOFS:
        assert client_address(_request("10.0.0.5", spoof)) == "10.0.0.5"
    print(f"client address: {len(SPOOFS)} spoofed headers ignored")


def test_behind_one_proxy_the_right_most_untrusted_address_is_used(behind_one_proxy):
    # nginx appends the address it received the request from; what stands left
    # of it, the client wrote.
    cases = {
        "198.51.100.7": "198.51.100.7",
        "6.6.6.6, 198.51.100.7": "198.51.100.7",
        "6.6.6.6,7.7.7.7 ,  198.51.100.7": "198.51.100.7",
        "2001:db8::1": "2001:db8::1",
        "2001:0db8:0000::0001": "2001:db8::1",  # one address, one spelling
    }
    for header, expected in cases.items():
        assert client_address(_request("172.18.0.2", header)) == expected
    print(f"client address: {len(cases)} forwarded headers read")


def test_behind_two_proxies_the_second_entry_from_the_right_is_used(settings):
    settings.GUAZHI_TRUSTED_PROXY_COUNT = 2
    settings.GUAZHI_TRUSTED_PROXIES = []
    header = "6.6.6.6, 198.51.100.7, 10.1.1.1"
    assert client_address(_request("172.18.0.2", header)) == "198.51.100.7"


@pytest.mark.parametrize("header", [None, "", "not-an-address", "6.6.6.6, bogus"])
def test_a_missing_or_malformed_header_counts_under_remote_addr(
    behind_one_proxy, header
):
    assert client_address(_request("172.18.0.2", header)) == "172.18.0.2"


def test_a_header_from_a_peer_that_is_not_a_trusted_proxy_is_ignored(settings):
    settings.GUAZHI_TRUSTED_PROXY_COUNT = 1
    settings.GUAZHI_TRUSTED_PROXIES = ["172.18.0.0/16"]
    assert client_address(_request("172.18.0.2", "198.51.100.7")) == "198.51.100.7"
    assert client_address(_request("10.9.9.9", "198.51.100.7")) == "10.9.9.9"


def test_the_ballot_limit_counts_by_the_same_address(behind_one_proxy):
    # Two clients behind the proxy count apart; a spoofed entry changes nothing.
    a = _request("172.18.0.2", "198.51.100.7")
    spoofed = _request("172.18.0.2", "6.6.6.6, 198.51.100.7")
    b = _request("172.18.0.2", "198.51.100.8")
    assert _failures_key(a) == _failures_key(spoofed) != _failures_key(b)
    assert [count_wrong_code(r) for r in (a, spoofed, b)] == [1, 2, 1]


def test_without_a_proxy_the_ballot_limit_ignores_x_forwarded_for():
    counts = [count_wrong_code(_request("10.0.0.5", spoof)) for spoof in SPOOFS]
    assert counts == list(range(1, len(SPOOFS) + 1))
    print(f"client address: {len(SPOOFS)} spoofed ballot failures counted together")


def test_axes_takes_the_address_from_the_same_function():
    from axes.helpers import get_client_ip_address

    request = _request("10.0.0.5", "203.0.113.1")
    assert get_client_ip_address(request) == client_address(request) == "10.0.0.5"


def test_the_login_limit_behind_the_proxy_counts_each_client_apart(
    db, behind_one_proxy, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = UserFactory(username="colleague")
    user.set_password("Right-Pass-2026")
    user.save()
    proxy = {"REMOTE_ADDR": "172.18.0.2"}
    attacker = Client(HTTP_X_FORWARDED_FOR="198.51.100.66", **proxy)
    statuses = [
        attacker.post("/login/", {"username": f"guess{i}", "password": "x"}).status_code
        for i in range(30)
    ]
    assert statuses[-1] == 429  # the attacker's address is locked
    colleague = Client(HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    answer = colleague.post(
        "/login/", {"username": "colleague", "password": "Right-Pass-2026"}
    )
    assert answer.status_code == 302
    print(f"client address: {len(statuses) + 1} attempts through the proxy")


def _settings_env(**extra) -> dict:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("GUAZHI_", "DJANGO_"))
    }
    env.update(GUAZHI_DEV="1", DJANGO_SETTINGS_MODULE="guazhi.settings", **extra)
    return env


def _value(expression: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"from guazhi import settings as s; print({expression})",
        ],
        cwd=BASE_DIR,
        env=_settings_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_one_hop_is_trusted_only_behind_the_proxy():
    assert _value("s.GUAZHI_TRUSTED_PROXY_COUNT").stdout.strip() == "0"
    behind = _value("s.GUAZHI_TRUSTED_PROXY_COUNT", GUAZHI_BEHIND_PROXY="1")
    assert behind.stdout.strip() == "1"
    refused = _value("s.GUAZHI_TRUSTED_PROXY_COUNT", GUAZHI_TRUSTED_PROXY_COUNT="1")
    assert refused.returncode != 0
    assert (
        "GUAZHI_TRUSTED_PROXY_COUNT 只能与 GUAZHI_BEHIND_PROXY=1 一起设置"
        in refused.stderr
    )
    bad = _value(
        "s.GUAZHI_TRUSTED_PROXIES",
        GUAZHI_BEHIND_PROXY="1",
        GUAZHI_TRUSTED_PROXIES="nginx",
    )
    assert bad.returncode != 0
    assert "不是 IP 地址或网段" in bad.stderr
