"""The optional second factor (issue 15): TOTP with django-otp, recovery codes
as django-otp's static device, and the gate that asks for them after sign-in.

A user with a confirmed device is verified after the password, before any
other page; when OTP_REQUIRED_FOR_STAFF is set (CONSTANCE_CONFIG), org staff
and admins without a device are sent to enrolment first. An admin resets a
user's second factor by deleting their devices (系统管理 → TOTP/Static
devices); the user then enrols again at the next sign-in if it is required.

The pages are listed in cadres.policy for every logged-in role; the gate lets
them, logout and the public pages through, and nothing else.
"""

import base64
import math

import segno
from constance.utils import get_values_for_keys
from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import sessions
from .models import Role
from .policy import PUBLIC, policy_for

OTP_VIEWS = frozenset({"otp_enrol", "otp_verify", "otp_recovery"})
RECOVERY_CODE_COUNT = 10


def has_device(user) -> bool:
    """Whether the user has a confirmed second factor (TOTP or recovery codes)."""
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).values("pk")
    static = StaticDevice.objects.filter(user=user, confirmed=True).values("pk")
    return bool(totp.union(static)[:1])


def gate_state(request: HttpRequest) -> dict:
    """has_device and required for the signed-in user, read at most once per
    sessions.ACTIVITY_RESOLUTION seconds: the gate asks on every page of an
    unverified user, and a changed device or setting holds within it."""
    session = request.session
    now = sessions._now()
    state = session.get(sessions.OTP_STATE)
    if state is None or not 0 <= now - state["at"] < sessions.ACTIVITY_RESOLUTION:
        state = {
            "at": now,
            "has_device": has_device(request.user),
            "required": otp_required_for(request.user),
        }
        session[sessions.OTP_STATE] = state
    return state


def otp_required_for(user) -> bool:
    """Rule (issue 15): admins may require a second factor of org staff and
    admins (OTP_REQUIRED_FOR_STAFF); host leaders, home contacts and cadres
    use one only if they choose to."""
    if user.role not in (Role.ORG_STAFF, Role.ADMIN) and not user.is_superuser:
        return False
    return bool(
        get_values_for_keys(["OTP_REQUIRED_FOR_STAFF"])["OTP_REQUIRED_FOR_STAFF"]
    )


class OtpGateMiddleware:
    """After django_otp's OTPMiddleware and the URL policy: a signed-in user who
    has a device but has not verified it, or who must enrol, sees only the
    second-factor pages, logout and the public pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        if name in OTP_VIEWS or name == "logout" or policy_for(name) == PUBLIC:
            return None
        state = gate_state(request)
        if state["has_device"]:
            target = "otp_verify"
        elif state["required"]:
            target = "otp_enrol"
        else:
            return None
        query = (
            urlencode({"next": request.get_full_path()})
            if request.method == "GET"
            else ""
        )
        return redirect(reverse(target) + ("?" + query if query else ""))


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())


class RecoveryForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("恢复码"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).lower()


def _try_code(devices, code: str, form: forms.Form, wrong: str):
    """The device that accepts the code, or None with the form's error: the
    code was wrong, or the device is throttled after failures (django-otp
    doubles the wait after each wrong code: 1, 2, 4 ... seconds)."""
    wait = 0
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if not allowed:
            until = (data or {}).get("locked_until")
            seconds = (until - timezone.now()).total_seconds() if until else 1
            wait = max(wait, math.ceil(seconds))
            continue
        if device.verify_token(code):
            return device
    if wait:
        form.add_error(
            "code",
            _("尝试次数过多，请 %(seconds)d 秒后再试。") % {"seconds": wait},
        )
    else:
        form.add_error("code", wrong)
    return None


WRONG_TOTP = gettext_lazy("验证码不正确或已过期，请输入验证器中当前显示的 6 位数字。")

WRONG_RECOVERY = gettext_lazy("恢复码不正确或已使用过。")


def _pending_device(user) -> TOTPDevice:
    """The device being enrolled: unconfirmed until the user types a code from it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=_("手机验证器"), confirmed=False
        )
    return device


def enrol_second_factor(user, device: TOTPDevice) -> list[str]:
    """Confirm the device and issue fresh recovery codes, shown once (issue 15:
    TOTP with recovery codes). Earlier devices of the user are removed."""
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticDevice.objects.filter(user=user).delete()
    device.confirmed = True
    device.save()
    static = StaticDevice.objects.create(user=user, name=_("恢复码"), confirmed=True)
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return codes


@require_http_methods(["GET", "POST"])
def otp_enrol(request: HttpRequest):
    """Enrol: scan the QR code with an authenticator app, confirm with a code."""
    user = request.user
    if has_device(user) and not user.is_verified():
        return redirect("otp_verify")
    device = _pending_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _try_code([device], form.cleaned_data["code"], form, WRONG_TOTP):
            codes = enrol_second_factor(user, device)
            otp_login(request, device)
            return render(
                request,
                "registration/otp_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=4)
    return render(
        request,
        "registration/otp_enrol.html",
        {
            "form": form,
            "qr": qr,
            "secret": base64.b32encode(device.bin_key).decode().rstrip("="),
            "enrolled": has_device(user),
            "required": otp_required_for(user),
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
    )


@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest):
    """After the password: a code from the user's authenticator."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not has_device(user):
        # Reset by an admin since the gate last looked: it looks again.
        request.session.pop(sessions.OTP_STATE, None)
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
        device = _try_code(devices, form.cleaned_data["code"], form, WRONG_TOTP)
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
    return render(
        request,
        "registration/otp_verify.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
    )


@require_http_methods(["GET", "POST"])
def otp_recovery(request: HttpRequest):
    """Instead of a code: one of the recovery codes, each good once."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    form = RecoveryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        devices = StaticDevice.objects.filter(user=user, confirmed=True)
        device = _try_code(devices, form.cleaned_data["code"], form, WRONG_RECOVERY)
        if device is not None:
            otp_login(request, device)
            messages.warning(
                request,
                _(
                    "已使用一个恢复码，还剩 %(left)d 个。"
                    "恢复码用完前请重新启用两步验证，或联系系统管理员重置。"
                )
                % {"left": device.token_set.count()},
            )
            return redirect(_next_url(request))
    return render(
        request,
        "registration/otp_recovery.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
    )
