"""The reminder ladder's world: one posting in county A (sent by 甲县财政局,
received by 甲一镇, managed by 甲县) and one in county B, each with an
obligation whose due day is DUE; clocks at Asia/Shanghai moments."""

import datetime as dt
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from cadres.models import Role
from guazhi.celery import app
from notifications import services
from notifications.models import Notification
from obligations.models import Obligation
from tests.factories import CadreFactory, PostingFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE = dt.date(2027, 3, 10)
START = dt.date(2026, 3, 1)


@contextmanager
def clock(day: dt.date, hour: int = 7, minute: int = 0):
    """timezone.now() is this Asia/Shanghai moment."""
    moment = dt.datetime.combine(day, dt.time(hour, minute), SHANGHAI)
    with mock.patch(
        "django.utils.timezone.now", return_value=moment.astimezone(dt.UTC)
    ):
        yield


def day(offset: int) -> dt.date:
    return DUE + dt.timedelta(days=offset)


@pytest.fixture(autouse=True)
def eager(settings):
    """Tasks run in the test's process (the integration tests run a worker)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://guazhi.example.cn"
    old = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = old


@pytest.fixture
def sweep_on(django_capture_on_commit_callbacks):
    """sweep_on(day, hour=7): the daily sweep at that Asia/Shanghai moment,
    with the emails it queues after commit sent at once."""

    def run(on: dt.date, hour: int = 7, minute: int = 0):
        with clock(on, hour, minute):
            with django_capture_on_commit_callbacks(execute=True):
                return services.sweep()

    return run


def make_obligation(posting, kind="monthly_note", due_on=DUE, **extra):
    """An open obligation, known long before its ladder begins."""
    owed_by = {
        "monthly_note": Role.HOST_LEADER,
        "report_semiannual": Role.CADRE,
        "follow_up_visit": Role.HOME_CONTACT,
    }.get(kind, Role.ORG_STAFF)
    unit = {
        Role.HOST_LEADER: posting.receiving_unit_id,
        Role.HOME_CONTACT: posting.sending_unit_id,
        Role.CADRE: None,
    }.get(owed_by, posting.sending_unit.parent_id)
    with clock(due_on - dt.timedelta(days=90)):
        return Obligation.objects.create(
            kind=kind,
            posting=posting,
            period=extra.pop("period", due_on),
            owed_by=owed_by,
            unit_id=unit,
            due_on=due_on,
            **extra,
        )


@pytest.fixture
def postings(tree, org_a, org_b, host_a, host_b, home_a, org_city):
    a = PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=START,
        planned_end_date=dt.date(2027, 9, 1),
    )
    b = PostingFactory(
        cadre=CadreFactory(unit=tree.organ_b),
        receiving_unit=tree.township_b1,
        start_date=START,
        planned_end_date=dt.date(2027, 9, 1),
    )
    return a, b


@pytest.fixture
def cadre_a(postings):
    return UserFactory(username="cadre_a", role=Role.CADRE, cadre=postings[0].cadre)


def steps_of(user, obligation=None) -> dict[str, str]:
    """{step: status} of the user's notifications (of one obligation)."""
    qs = Notification.objects.filter(recipient=user)
    if obligation is not None:
        qs = qs.filter(obligation=obligation)
    return dict(qs.values_list("step", "status"))
