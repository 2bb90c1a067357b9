"""蓝黄红三级预警 and 组织鉴定."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cadres.models import Role
from postings.models import Reminder
from records.models import Appraisal, Warning
from records.rules import warning_level
from records.services import appraisal_save, warning_file, warning_revoke
from tests.conftest import form_errors
from tests.factories import UserFactory, WarningFactory

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.WARNING_THRESHOLDS = {"blue": 1, "yellow": 6, "red": 12}
    settings.WARNING_PERIOD_DAYS = 365


def _file(posting, author, points, *, days_ago=0, dimension="discipline"):
    return warning_file(
        posting=posting,
        author=author,
        dimension=dimension,
        occurred_on=TODAY() - dt.timedelta(days=days_ago),
        points=points,
        description="迟到早退。",
    )


@pytest.mark.parametrize(
    ("points", "level"),
    [(0, "none"), (1, "blue"), (5, "blue"), (6, "yellow"), (11, "yellow"), (12, "red")],
)
def test_the_level_follows_from_the_thresholds(points, level):
    assert warning_level(points) == level


def test_the_thresholds_are_configurable(settings):
    settings.WARNING_THRESHOLDS = {"blue": 3, "yellow": 4, "red": 5}
    assert [warning_level(p) for p in (2, 3, 4, 5)] == ["none", "blue", "yellow", "red"]


def test_points_add_up_within_the_period_and_raise_the_level(host_a, world):
    posting = world.a.posting
    first = _file(posting, host_a, 3, days_ago=30)
    second = _file(posting, host_a, 4, days_ago=10, dimension="style")
    third = _file(posting, host_a, 5)
    assert [(w.period_points, w.level) for w in (first, second, third)] == [
        (3, "blue"),
        (7, "yellow"),
        (12, "red"),
    ]


def test_points_older_than_the_period_do_not_count(host_a, world, settings):
    settings.WARNING_PERIOD_DAYS = 30
    earlier = _file(world.a.posting, host_a, 10, days_ago=20)
    assert earlier.level == "yellow"
    settings.WARNING_PERIOD_DAYS = 10
    later = _file(world.a.posting, host_a, 2)
    assert (later.period_points, later.level) == (2, "blue")


def test_a_back_dated_infraction_adds_to_the_later_ones(host_a, world):
    _file(world.a.posting, host_a, 3)
    back_dated = _file(world.a.posting, host_a, 4, days_ago=5)
    assert (back_dated.period_points, back_dated.level) == (7, "yellow")


def test_yellow_and_red_notify_the_jurisdictions_org_staff(
    host_a, org_a, org_b, org_city, world
):
    posting = world.a.posting
    _file(posting, host_a, 3)
    assert not Reminder.objects.filter(kind=Reminder.Kind.WARNING).exists()  # blue
    _file(posting, host_a, 4, days_ago=1)  # 7 points: yellow
    notified = set(
        Reminder.objects.filter(kind=Reminder.Kind.WARNING).values_list(
            "recipient", flat=True
        )
    )
    assert notified == {org_a.pk, org_city.pk}  # not org_b, not the host leader
    message = Reminder.objects.filter(recipient=org_a, kind="warning").get().message
    assert world.a.cadre.name in message and "黄色预警" in message


def test_a_red_warning_the_same_day_updates_the_reminder(host_a, org_a, world):
    posting = world.a.posting
    _file(posting, host_a, 7)  # yellow
    Reminder.objects.filter(recipient=org_a).update(read_at=timezone.now())
    _file(posting, host_a, 6)  # red, same day
    reminder = Reminder.objects.get(recipient=org_a, kind="warning")
    assert "红色预警" in reminder.message
    assert reminder.read_at is None


def test_a_warning_is_revoked_with_a_reason_and_kept(login, org_a, host_a, world):
    warning = _file(world.a.posting, host_a, 7)
    client = login(org_a)
    url = reverse("cadres:warning_revoke", args=[warning.pk])
    empty = client.post(url, {"reason": ""})
    assert "这个字段是必填项" in form_errors(empty)
    client.post(url, {"reason": "经核实系请假未报备，已补办手续。"})
    warning.refresh_from_db()
    assert warning.status == Warning.Status.REVOKED
    assert (warning.revoked_by, warning.revoke_reason) == (
        org_a,
        "经核实系请假未报备，已补办手续。",
    )
    # Never deleted: still on the dossier, marked revoked, with its history.
    page = client.get(
        reverse("cadres:detail", args=[world.a.cadre.pk])
    ).content.decode()
    assert "已撤销" in page and "经核实系请假未报备" in page
    assert [h.history_type for h in warning.history.order_by("history_date")] == [
        "+",
        "~",
    ]
    with pytest.raises(ValidationError, match="已经撤销过了"):
        warning_revoke(warning=warning, by=org_a, reason="再撤销")


def test_a_revoked_warning_no_longer_counts(host_a, org_a, world):
    first = _file(world.a.posting, host_a, 5)
    warning_revoke(warning=first, by=org_a, reason="误报")
    second = _file(world.a.posting, host_a, 2)
    assert second.period_points == 2


def test_only_org_staff_revoke_warnings(login, host_a, home_a, cadre_user, world):
    warning = _file(world.a.posting, host_a, 2)
    for user in (host_a, home_a, cadre_user):
        response = login(user).post(
            reverse("cadres:warning_revoke", args=[warning.pk]), {"reason": "x"}
        )
        assert response.status_code == 404
    warning.refresh_from_db()
    assert warning.status == Warning.Status.ACTIVE


def test_host_leaders_and_org_staff_file_warnings_through_the_page(
    login, host_a, home_a, world
):
    url = reverse("cadres:warning_create", args=[world.a.posting.pk])
    data = {
        "dimension": "style",
        "occurred_on": TODAY(),
        "points": 3,
        "description": "例会无故缺席。",
    }
    assert login(home_a).post(url, data).status_code == 404
    too_many = login(host_a).post(url, data | {"points": 30})
    assert "扣分须在1到20分之间。" in form_errors(too_many)
    assert login(host_a).post(url, data).status_code == 302
    assert Warning.objects.get().level == "blue"


def test_the_database_keeps_a_revoked_warnings_reason(world):
    warning = WarningFactory(posting=world.a.posting)
    warning.status = Warning.Status.REVOKED
    warning.revoked_by = warning.author
    with pytest.raises(IntegrityError), transaction.atomic():
        warning.save()


# --- 组织鉴定 -------------------------------------------------------------------


def _appraisal(**changes) -> dict:
    data = {
        "political": "政治坚定。",
        "performance": "完成招商引资任务。",
        "conduct": "遵规守纪。",
        "overall": "表现优秀。",
    }
    data.update(changes)
    return data


def test_the_host_leader_drafts_then_submits_the_appraisal(login, host_a, org_a, world):
    client = login(host_a)
    url = reverse("cadres:appraisal_edit", args=[world.a.posting.pk])
    assert client.post(url, _appraisal(draft="")).status_code == 302
    appraisal = Appraisal.objects.get()
    assert appraisal.status == Appraisal.Status.DRAFT
    # Submitted near the end of the term (issue 14: not mid-term).
    posting = world.a.posting
    posting.planned_end_date = timezone.localdate() + dt.timedelta(days=20)
    posting.set_midterm_date()
    posting.save(update_fields=["planned_end_date", "midterm_date"])
    client.post(url, _appraisal(overall="表现突出，同意期满。", final=""))
    appraisal.refresh_from_db()
    assert appraisal.status == Appraisal.Status.SUBMITTED
    assert appraisal.submitted_at is not None
    # Read-only from now on, through the page and the service.
    response = client.post(url, _appraisal(overall="改一下"))
    assert "组织鉴定已经提交，不能再修改。" in form_errors(response)
    assert client.get(url).status_code == 302
    with pytest.raises(ValidationError, match="不能再修改"):
        appraisal_save(posting=world.a.posting, author=host_a, **_appraisal())
    appraisal.refresh_from_db()
    assert appraisal.overall == "表现突出，同意期满。"
    # Every version is kept.
    assert appraisal.history.count() == 2
    page = login(org_a).get(reverse("cadres:history", args=["appraisal", appraisal.pk]))
    assert "表现突出，同意期满。" in page.content.decode()


def test_one_appraisal_per_posting(host_a, world):
    appraisal_save(posting=world.a.posting, author=host_a, **_appraisal())
    with pytest.raises(IntegrityError), transaction.atomic():
        Appraisal.objects.create(posting=world.a.posting, author=host_a, **_appraisal())


def test_only_the_host_leader_writes_the_appraisal(
    login, org_a, home_a, cadre_user, world
):
    url = reverse("cadres:appraisal_edit", args=[world.a.posting.pk])
    for user in (org_a, home_a, cadre_user):
        assert login(user).post(url, _appraisal()).status_code == 404
    other = UserFactory(role=Role.HOST_LEADER)  # of another unit
    assert login(other).post(url, _appraisal()).status_code == 404
    assert not Appraisal.objects.exists()
