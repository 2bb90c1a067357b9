"""How long a signed-in session lasts (issue 15): an idle timeout and an
absolute limit, both settings admins change in the app (SESSION_IDLE_MINUTES,
SESSION_ABSOLUTE_HOURS in CONSTANCE_CONFIG).

The session holds when the user signed in and when they were last active. An
expired session is flushed and the user sent to the login page with a message
that says why. Django's SESSION_COOKIE_AGE stays an outer bound on the cookie
and the stored row; it is renewed by activity, so the in-app limits are the
ones that end a session (guazhi/settings.py says how the two agree).
"""

from constance.utils import get_values_for_keys
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

LOGIN_AT = "guazhi_login_at"
ACTIVE_AT = "guazhi_active_at"
LIMITS = "guazhi_session_limits"
# What the second factor's gate knows of the user (cadres.otp), kept as long.
OTP_STATE = "guazhi_otp_state"
# Last activity is written, and the limits read from the settings, at most
# this often (seconds): a page a second must mean neither a session write nor
# a settings query a second. The idle timeout is exact to this, and a changed
# limit holds for every session within it.
ACTIVITY_RESOLUTION = 60


def _now() -> float:
    return timezone.now().timestamp()


def session_expiry_reason(session, now: float) -> str | None:
    """Why a signed-in session is over: "absolute", "idle", or None if it is not.

    Rule (issue 15): a session ends SESSION_IDLE_MINUTES after its last request
    and SESSION_ABSOLUTE_HOURS after sign-in, however active it has been.
    """
    values = _limits(session, now)
    login_at = session.get(LOGIN_AT)
    active_at = session.get(ACTIVE_AT)
    if login_at is None or active_at is None:
        return None
    if now - login_at > values["SESSION_ABSOLUTE_HOURS"] * 3600:
        return "absolute"
    if now - active_at > values["SESSION_IDLE_MINUTES"] * 60:
        return "idle"
    return None


def _limits(session, now: float) -> dict:
    """The settings' limits, as read at most ACTIVITY_RESOLUTION seconds ago."""
    stash = session.get(LIMITS)
    if stash is None or not 0 <= now - stash["at"] < ACTIVITY_RESOLUTION:
        keys = ["SESSION_IDLE_MINUTES", "SESSION_ABSOLUTE_HOURS"]
        stash = {"at": now, **get_values_for_keys(keys)}
        session[LIMITS] = stash
    return stash


def forget_stashed(session) -> None:
    """Drop what was stashed for the signed-in user: read afresh on the next request."""
    for key in (LIMITS, OTP_STATE):
        session.pop(key, None)


@receiver(user_logged_in, dispatch_uid="guazhi-session-stamps")
def stamp_login(sender, request, user, **kwargs):
    """Sign-in starts both clocks (the session key is rotated by Django's login)."""
    if request is not None and hasattr(request, "session"):
        now = _now()
        forget_stashed(request.session)
        request.session[LOGIN_AT] = now
        request.session[ACTIVE_AT] = now


class SessionLimitsMiddleware:
    """Ends idle and too-old sessions; after MessageMiddleware (it leaves a message)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            now = _now()
            if LOGIN_AT not in session or ACTIVE_AT not in session:
                # A session from before these limits: its clocks start now.
                session.setdefault(LOGIN_AT, now)
                session[ACTIVE_AT] = now
            reason = session_expiry_reason(session, now)
            if reason is not None:
                session.flush()
                if reason == "absolute":
                    text = _("登录已超过最长时限，为保障安全请重新登录。")
                else:
                    text = _("长时间未操作，登录已失效，请重新登录。")
                messages.warning(request, text)
                return redirect_to_login(request.get_full_path())
            if now - session[ACTIVE_AT] >= ACTIVITY_RESOLUTION:
                session[ACTIVE_AT] = now
        return self.get_response(request)
