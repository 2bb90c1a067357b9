"""Clocks at an Asia/Shanghai moment, and the sweep run at one."""

import datetime as dt
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

from obligations import services
from obligations.models import Obligation

SHANGHAI = ZoneInfo("Asia/Shanghai")


@contextmanager
def clock(day: dt.date, hour: int = 0, minute: int = 0):
    """timezone.now() is this Asia/Shanghai moment (given in UTC, as Django
    keeps it: 00:00 in Shanghai is 16:00 of the day before in UTC)."""
    moment = dt.datetime.combine(day, dt.time(hour, minute), SHANGHAI)
    with mock.patch(
        "django.utils.timezone.now", return_value=moment.astimezone(dt.UTC)
    ):
        yield


def sweep_at(day: dt.date, hour: int = 0, minute: int = 0):
    """The daily sweep as beat runs it at that moment (today from the clock)."""
    with clock(day, hour, minute):
        return services.sweep()


def just_before(day: dt.date):
    """23:59 of the day before `day`."""
    return sweep_at(day - dt.timedelta(days=1), 23, 59)


def of_kind(kind: str, posting=None):
    qs = Obligation.objects.filter(kind=kind)
    return qs.filter(posting=posting) if posting is not None else qs
