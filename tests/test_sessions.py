"""Session limits (issue 15, cadres/sessions.py): an idle timeout (30 minutes)
and an absolute limit (12 hours), both settings; the session rotated at
login and ended on deactivation and password change. Time is moved by
patching the middleware's clock."""

from datetime import UTC, datetime, timedelta

import pytest
from constance.test import override_config
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cadres import sessions
from tests.factories import UserFactory

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PASSWORD = "Lan-Shan-Qiao-2026"
IDLE_MESSAGE = "长时间未操作，登录已失效，请重新登录。"
ABSOLUTE_MESSAGE = "登录已超过最长时限，为保障安全请重新登录。"


class Clock:
    def __init__(self):
        self.now = START

    def advance(self, **kwargs):
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(sessions, "_now", lambda: clock.now.timestamp())
    return clock


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user(db):
    user = UserFactory(username="zhangsan")
    user.set_password(PASSWORD)
    user.save()
    return user


def signed_in(user) -> Client:
    client = Client()
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def is_sent_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("login")
    )


def test_login_rotates_the_session_key(user):
    client = Client()
    session = client.session
    session["before"] = 1
    session.save()
    before = session.session_key
    client.cookies["sessionid"] = before
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert client.cookies["sessionid"].value != before
    assert client.get(reverse("home")).status_code == 200


def test_an_idle_session_ends_after_30_minutes_and_says_why(user, clock):
    client = signed_in(user)
    assert client.get(reverse("home")).status_code == 200
    clock.advance(minutes=29)
    assert client.get(reverse("home")).status_code == 200
    clock.advance(minutes=30, seconds=1)
    response = client.get(reverse("postings:list"))
    assert is_sent_to_login(response)
    assert "next=/postings/" in response["Location"]
    page = client.get(response["Location"])
    assert IDLE_MESSAGE in page.content.decode()
    assert ABSOLUTE_MESSAGE not in page.content.decode()
    # The session was flushed: signed out for good, even with time put back.
    clock.now = START
    assert is_sent_to_login(client.get(reverse("home")))


def test_activity_extends_the_idle_timeout(user, clock):
    client = signed_in(user)
    for _step in range(12):  # four hours, a page every 20 minutes
        clock.advance(minutes=20)
        assert client.get(reverse("home")).status_code == 200


def test_the_absolute_limit_ends_even_an_active_session(user, clock):
    client = signed_in(user)
    for _step in range(35):  # 11 h 40 min, a page every 20 minutes
        clock.advance(minutes=20)
        assert client.get(reverse("home")).status_code == 200
    clock.advance(minutes=20, seconds=1)
    response = client.get(reverse("home"))
    assert is_sent_to_login(response)
    page = client.get(response["Location"])
    assert ABSOLUTE_MESSAGE in page.content.decode()


def test_the_limits_are_settings_admins_change(user, clock):
    client = signed_in(user)
    with override_config(SESSION_IDLE_MINUTES=5, SESSION_ABSOLUTE_HOURS=1):
        clock.advance(minutes=4)
        assert client.get(reverse("home")).status_code == 200
        clock.advance(minutes=6)
        assert is_sent_to_login(client.get(reverse("home")))
        client = signed_in(user)
        for _step in range(15):
            clock.advance(minutes=4)
            assert client.get(reverse("home")).status_code == 200
        clock.advance(minutes=1)
        assert is_sent_to_login(client.get(reverse("home")))


def test_signing_in_again_restarts_both_clocks(user, clock):
    signed_in(user)
    clock.advance(hours=11, minutes=50)
    client = signed_in(user)
    clock.advance(minutes=20)
    assert client.get(reverse("home")).status_code == 200


def test_the_settings_have_a_range_check():
    for name, low, high in (
        ("SESSION_IDLE_MINUTES", 5, 720),
        ("SESSION_ABSOLUTE_HOURS", 1, 72),
    ):
        default, help_text, kind = settings.CONSTANCE_CONFIG[name]
        field_path, kwargs = settings.CONSTANCE_ADDITIONAL_FIELDS[kind]
        assert (kwargs["min_value"], kwargs["max_value"]) == (low, high)
        assert low <= default <= high
        assert "分钟" in help_text or "小时" in help_text


def test_deactivation_ends_the_session(user):
    client = signed_in(user)
    assert client.get(reverse("home")).status_code == 200
    user.is_active = False
    user.save()
    assert is_sent_to_login(client.get(reverse("home")))


def test_a_password_change_ends_other_sessions(user):
    client = signed_in(user)
    assert client.get(reverse("home")).status_code == 200
    user.set_password("Another-Long-Pass-77")
    user.save()
    assert is_sent_to_login(client.get(reverse("home")))
