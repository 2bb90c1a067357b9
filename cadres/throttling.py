"""Login throttling (issue 15): django-axes, with two counts and a pass for the
addresses a user has signed in from.

django-axes' backend (AxesStandaloneBackend, first in AUTHENTICATION_BACKENDS)
asks `LoginThrottle.is_locked` before any backend looks at the password, so a
refused attempt costs a few cache reads and no password hash: a flood of
logins does not starve the other pages. Its signals report failures and
successes here; its middleware turns a lockout into `login_locked_out`'s page.

Counted, each in a window of LOGIN_COOLOFF_MINUTES from its first failure
(settings admins change, constance):

- per username + address: LOGIN_FAILURES_PER_USER failures lock that username
  from that address for the cool-off; a success of that username from that
  address resets the count;
- per address: LOGIN_FAILURES_PER_ADDRESS failures, whatever the usernames,
  lock the address for the cool-off, and no colleague's success resets it, so
  rotating usernames does not escape it. The lock holds for every username
  that has not signed in successfully from the address in the last
  LOGIN_KNOWN_ADDRESS_DAYS days: an office behind one router keeps signing in
  with its own right passwords while the guesser among them, or outside, is
  stopped.

Refused attempts are neither counted nor extend the cool-off, so the time the
login page names is when the lock really ends. The counts live in the default
cache (Redis in production, atomic increments), never in the database.
"""

import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from axes.handlers.base import AbstractAxesHandler, AxesBaseHandler
from axes.helpers import get_client_username
from axes.signals import user_locked_out
from constance import config
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.http import HttpRequest
from django.shortcuts import render
from django.utils import timezone


@dataclass(frozen=True)
class LoginLock:
    """Why and until when login attempts are refused."""

    scope: Literal["user", "address"]
    until: datetime

    @property
    def minutes(self) -> int:
        """Whole minutes left, at least 1."""
        seconds = (self.until - timezone.now()).total_seconds()
        return max(1, -int(-seconds // 60))


def _key(kind: str, *parts: str) -> str:
    # Hashed: a username is any text; NUL-separated so that no username and
    # address pair can be read as another.
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]
    return f"guazhi:login:{kind}:{digest}"


def login_cool_off(request: HttpRequest | None = None) -> timedelta:
    """How long a lock lasts and a count runs (AXES_COOLOFF_TIME)."""
    return timedelta(minutes=config.LOGIN_COOLOFF_MINUTES)


def login_lock(*, username: str, address: str) -> LoginLock | None:
    """The lock that refuses a login attempt of `username` from `address`, if
    any (issue 15: failures per username + address, and per address unless
    the username has signed in from it recently)."""
    user_lock = _key("lock-user", username, address)
    address_lock = _key("lock-address", address)
    found = cache.get_many([user_lock, address_lock])
    if user_lock in found:
        return LoginLock("user", datetime.fromtimestamp(found[user_lock], UTC))
    if address_lock in found and not cache.get(_key("known", username, address)):
        return LoginLock("address", datetime.fromtimestamp(found[address_lock], UTC))
    return None


_COUNTING = threading.Lock()


def _count(key: str, window: int) -> int:
    """One more in the count at `key`, whose window starts at its first; the
    new count. The cache's own add and incr (atomic on Redis); the lock makes
    the file cache of `make run` exact among one process's threads."""
    with _COUNTING:
        for _attempt in range(3):
            cache.add(key, 0, timeout=window)
            try:
                return cache.incr(key)
            except ValueError:  # the window ended between add and incr
                continue
    return 1  # a cache that keeps nothing limits nothing


def login_failed(*, username: str, address: str) -> LoginLock | None:
    """Count a failed login of `username` from `address`; the lock it starts,
    if it reaches a limit (issue 15)."""
    window = int(login_cool_off().total_seconds())
    until = timezone.now() + timedelta(seconds=window)
    started = None
    for scope, limit, count_key, lock_key in (
        (
            "user",
            config.LOGIN_FAILURES_PER_USER,
            _key("count-user", username, address),
            _key("lock-user", username, address),
        ),
        (
            "address",
            config.LOGIN_FAILURES_PER_ADDRESS,
            _key("count-address", address),
            _key("lock-address", address),
        ),
    ):
        if _count(count_key, window) >= limit:
            cache.set(lock_key, until.timestamp(), timeout=window)
            cache.delete(count_key)
            started = started or LoginLock(scope, until)
    return started


def login_succeeded(*, username: str, address: str) -> None:
    """A right password: the username + address count starts again, and the
    address is one the username signs in from (the address count stays)."""
    cache.delete(_key("count-user", username, address))
    cache.set(
        _key("known", username, address),
        True,
        timeout=settings.LOGIN_KNOWN_ADDRESS_DAYS * 86400,
    )


def login_reset(*, username: str | None = None, address: str | None = None) -> int:
    """Lift the locks and counts of an address, or of a username from an
    address (`manage.py axes_reset_ip`, `axes_reset_ip_username`). How many
    entries were removed."""
    if address is None:
        raise NotImplementedError(
            "登录失败按“用户名 + 地址”和“地址”计数：请给出地址"
            "（axes_reset_ip 或 axes_reset_ip_username）。"
        )
    kinds = (
        [("count-user", username, address), ("lock-user", username, address)]
        if username is not None
        else [("count-address", address), ("lock-address", address)]
    )
    keys = [_key(*parts) for parts in kinds]
    removed = len(cache.get_many(keys))
    cache.delete_many(keys)
    return removed


class LoginThrottle(AbstractAxesHandler, AxesBaseHandler):
    """django-axes' handler (AXES_HANDLER) for the rules above."""

    def is_locked(self, request, credentials=None) -> bool:
        lock = login_lock(
            username=get_client_username(request, credentials) or "",
            address=request.axes_ip_address or "",
        )
        request.guazhi_login_lock = lock
        return lock is not None

    def get_failures(self, request, credentials=None) -> int:
        return 0  # not asked: is_locked above decides

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is None:
            return
        if getattr(request, "guazhi_login_lock", None) is None:
            username = get_client_username(request, credentials) or ""
            lock = login_failed(username=username, address=request.axes_ip_address)
            if lock is None:
                return
            request.guazhi_login_lock = lock
            user_locked_out.send(
                "axes",
                request=request,
                username=username,
                ip_address=request.axes_ip_address,
            )
        request.axes_locked_out = True
        request.axes_credentials = credentials

    def user_logged_in(self, sender, request, user, **kwargs):
        login_succeeded(
            username=user.get_username(), address=request.axes_ip_address or ""
        )

    def user_logged_out(self, sender, request, user, **kwargs):
        pass

    def reset_attempts(self, *, ip_address=None, username=None, ip_or_username=False):
        return login_reset(username=username, address=ip_address)


def login_locked_out(request, original_response=None, credentials=None):
    """The login page again (AXES_LOCKOUT_CALLABLE), saying why the attempt
    was refused and when to try again; 429 Too Many Requests."""
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form") or AuthenticationForm(request)
    return render(
        request,
        "registration/login.html",
        {
            "form": form,
            "next": context.get("next", ""),
            "lock": getattr(request, "guazhi_login_lock", None),
        },
        status=429,
    )
