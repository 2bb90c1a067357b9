"""The optional second factor (issue 15, cadres/otp.py): TOTP enrolment with a
QR code, verification after the password, ten recovery codes each good once,
required of org staff and admins when the setting says so, reset by an admin."""

import re
import time

import pytest
from constance.test import override_config
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cadres import sessions

WRONG_CODE = "验证码不正确或已过期"


def code_for(device: TOTPDevice, step: int = 0) -> str:
    """The code the user's authenticator shows now (or `step` steps later)."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, step):06d}"


def enrol(client: Client) -> list[str]:
    """Enrol through the pages; the recovery codes shown once."""
    page = client.get(reverse("otp_enrol"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post(reverse("otp_enrol"), {"code": code_for(device)})
    assert response.status_code == 200
    codes = re.findall(r"<li>([a-z0-9]+)</li>", response.content.decode())
    assert len(codes) == 10
    # An authenticator gives each code once: the next code comes a step later.
    TOTPDevice.objects.update(last_t=-1)
    return codes


def test_enrolment_shows_a_qr_code_and_is_confirmed_by_a_code(login, org_a):
    client = login(org_a)
    page = client.get(reverse("otp_enrol")).content.decode()
    assert 'src="data:image/svg+xml' in page
    device = TOTPDevice.objects.get(user=org_a)
    assert not device.confirmed
    assert "otpauth" in device.config_url
    codes = enrol(client)
    device.refresh_from_db()
    assert device.confirmed
    static = StaticDevice.objects.get(user=org_a)
    assert sorted(t.token for t in static.token_set.all()) == sorted(codes)
    # The enrolling session is verified: it goes on.
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_code_at_enrolment_is_refused_and_writes_nothing(login, org_a):
    client = login(org_a)
    client.get(reverse("otp_enrol"))
    device = TOTPDevice.objects.get(user=org_a)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("otp_enrol"), {"code": wrong})
    assert response.status_code == 200
    assert WRONG_CODE in response.content.decode()
    assert f'value="{wrong}"' in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticDevice.objects.filter(user=org_a).exists()


def test_with_a_device_the_code_is_asked_after_the_password(login, host_a):
    enrol(login(host_a))
    device = TOTPDevice.objects.get(user=host_a)
    client = login(host_a)  # a new sign-in: password only
    response = client.get(reverse("postings:list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("otp_verify") + "?next=%2Fpostings%2F"
    # Nothing else opens before the code, POSTs included.
    assert client.post(reverse("postings:notifications_read_all")).status_code == 302
    assert client.get(reverse("otp_verify")).status_code == 200
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("otp_verify"), {"code": wrong, "next": "/postings/"})
    assert response.status_code == 200
    assert WRONG_CODE in response.content.decode()
    assert client.get(reverse("home")).status_code == 302
    # Right after a wrong code even the right one waits (django-otp's throttle).
    response = client.post(reverse("otp_verify"), {"code": code_for(device)})
    assert "请 1 秒后再试" in response.content.decode()
    TOTPDevice.objects.update(throttling_failure_timestamp=None)  # a second later
    response = client.post(
        reverse("otp_verify"), {"code": code_for(device), "next": "/postings/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/postings/"
    assert client.get(reverse("postings:list")).status_code == 200


def test_verify_never_redirects_off_site(login, host_a):
    enrol(login(host_a))
    device = TOTPDevice.objects.get(user=host_a)
    client = login(host_a)
    response = client.post(
        reverse("otp_verify"),
        {"code": code_for(device), "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("home")


def test_a_recovery_code_works_once(login, home_a):
    codes = enrol(login(home_a))
    client = login(home_a)
    response = client.post(reverse("otp_recovery"), {"code": codes[3].upper()})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert StaticToken.objects.filter(device__user=home_a).count() == 9
    again = login(home_a)
    response = again.post(reverse("otp_recovery"), {"code": codes[3]})
    assert response.status_code == 200
    assert "恢复码不正确或已使用过" in response.content.decode()
    assert again.get(reverse("home")).status_code == 302


@override_config(OTP_REQUIRED_FOR_STAFF=True)
def test_when_required_org_staff_and_admins_must_enrol_first(login, org_a, admin):
    for user in (org_a, admin):
        client = login(user)
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("otp_enrol"))
        page = client.get(reverse("otp_enrol")).content.decode()
        assert "启用后才能继续使用本系统" in page
        enrol(client)
        assert client.get(reverse("home")).status_code == 200


@override_config(OTP_REQUIRED_FOR_STAFF=True)
def test_when_required_host_leaders_and_cadres_are_not_forced(
    login, host_a, cadre_user
):
    for user in (host_a, cadre_user):
        assert login(user).get(reverse("home")).status_code == 200


def test_not_required_by_default(login, org_a):
    assert login(org_a).get(reverse("home")).status_code == 200


def test_an_admin_resets_a_users_second_factor(login, org_a, admin, monkeypatch):
    enrol(login(org_a))
    client = login(org_a)
    assert client.get(reverse("home")).status_code == 302
    admin_client = login(admin)
    # The reset: the admin deletes the user's devices on the admin's pages.
    for model, label in (
        (TOTPDevice, "otp_totp_totpdevice"),
        (StaticDevice, "otp_static_staticdevice"),
    ):
        changelist = admin_client.get(reverse(f"admin:{label}_changelist"))
        assert changelist.status_code == 200
        device = model.objects.get(user=org_a)
        url = reverse(f"admin:{label}_delete", args=[device.pk])
        assert admin_client.post(url, {"post": "yes"}).status_code == 302
        assert not model.objects.filter(user=org_a).exists()
    # The gate's view of the user is at most a minute old; the verify page
    # looks again at once and sends the user on.
    response = client.get(reverse("otp_verify"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    with override_config(OTP_REQUIRED_FOR_STAFF=True):
        later = time.time() + 61  # a minute on, the gate reads the setting again
        monkeypatch.setattr(sessions, "_now", lambda: later)
        response = client.get(reverse("home"))
        assert response["Location"].startswith(reverse("otp_enrol"))


@pytest.mark.parametrize("name", ["otp_enrol", "otp_verify", "otp_recovery"])
def test_the_pages_need_a_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
