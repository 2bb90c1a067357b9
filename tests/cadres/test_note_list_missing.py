"""The notes list (issue 14): filtered by month (last month unless asked), by
receiving unit and by cadre, and beside the filed notes the postings that owed
a note for the month and have none (未填报), with a link to file it for those
who may."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guazhi.dates import add_months
from obligations.models import Obligation
from obligations.services import catch_up, waive
from postings.models import Posting
from tests.factories import (
    CadreFactory,
    MonthlyNoteFactory,
    PostingFactory,
    UnitFactory,
)

URL = reverse("cadres:note_list")


def _month(n: int) -> dt.date:
    """The first day of the month n months before this one."""
    return add_months(timezone.localdate().replace(day=1), -n)


def _filed(response) -> list[str]:
    return [n.cadre for n in response.context["notes"]]


def _missing(response) -> list[str]:
    return [m.cadre for m in response.context["missing"]]


def test_the_list_shows_last_month_unless_asked(login, org_city, world):
    last = MonthlyNoteFactory(posting=world.a.posting, month=_month(1))
    response = login(org_city).get(URL)
    assert [n.pk for n in response.context["notes"]] == [last.pk]
    assert response.context["month"] == _month(1)
    assert f'value="{_month(1):%Y-%m}"' in response.content.decode()
    # Asked for another month, that month; emptied, every month.
    older = login(org_city).get(URL, {"month": f"{_month(2):%Y-%m}"})
    assert {n.pk for n in older.context["notes"]} == {world.a.note.pk, world.b.note.pk}
    every = login(org_city).get(URL, {"month": ""})
    assert len(every.context["notes"]) == 3
    assert every.context["missing"] is None  # 未填报 is about one month


def test_the_missing_notes_of_the_month_show_beside_the_filed(login, org_city, world):
    catch_up()  # the daily sweep: what falls due is stored as obligations
    client = login(org_city)
    response = client.get(URL)
    assert _filed(response) == []
    assert sorted(_missing(response)) == sorted(
        [world.a.cadre.name, world.b.cadre.name]
    )
    assert "未填报" in response.content.decode()
    MonthlyNoteFactory(posting=world.a.posting, month=_month(1))
    response = client.get(URL)
    assert _filed(response) == [world.a.cadre.name]
    assert _missing(response) == [world.b.cadre.name]
    # The month of the world's notes: nothing missing.
    response = client.get(URL, {"month": f"{_month(2):%Y-%m}"})
    assert _missing(response) == []
    assert "该月应交的月小结都已填报。" in response.content.decode()


def test_only_the_postings_that_owed_the_month_are_missing(login, org_city, tree):
    """Who owes a month is rules.expected_note_months: not a posting begun
    after it, only proposed, or ended before it; one that ended in it does."""

    def posting(**fields):
        home = UnitFactory(parent=tree.county_a)
        return PostingFactory(
            cadre=CadreFactory(unit=home), sending_unit=home, **fields
        )

    today = timezone.localdate()
    owes = posting(start_date=today - dt.timedelta(days=200))
    ended_in_it = posting(
        start_date=today - dt.timedelta(days=400),
        planned_end_date=_month(1) + dt.timedelta(days=9),
        status=Posting.Status.COMPLETED,
    )
    begun_since = posting(start_date=today.replace(day=1))
    proposed = posting(
        start_date=today - dt.timedelta(days=200), status=Posting.Status.PROPOSED
    )
    ended_before = posting(
        start_date=today - dt.timedelta(days=500),
        planned_end_date=_month(1) - dt.timedelta(days=1),
        status=Posting.Status.COMPLETED,
    )
    catch_up()
    missing = _missing(login(org_city).get(URL))
    assert sorted(missing) == sorted([owes.cadre.name, ended_in_it.cadre.name])
    for absent in (begun_since, proposed, ended_before):
        assert absent.cadre.name not in missing


def test_filters_by_receiving_unit_and_cadre(login, org_city, world, tree):
    catch_up()
    client = login(org_city)
    month = {"month": f"{_month(2):%Y-%m}"}
    by_county = client.get(URL, {**month, "unit": tree.county_a.pk})
    assert _filed(by_county) == [world.a.cadre.name]
    by_township = client.get(URL, {**month, "unit": tree.township_b1.pk})
    assert _filed(by_township) == [world.b.cadre.name]
    by_cadre = client.get(URL, {**month, "cadre": world.b.cadre.pk})
    assert _filed(by_cadre) == [world.b.cadre.name]
    # The missing notes of last month follow the same filters.
    assert _missing(client.get(URL, {"unit": tree.county_a.pk})) == [world.a.cadre.name]
    assert _missing(client.get(URL, {"cadre": world.b.cadre.pk})) == [
        world.b.cadre.name
    ]


def test_a_unit_or_cadre_out_of_scope_is_refused_and_filters_nothing(
    login, org_a, world, tree
):
    catch_up()
    response = login(org_a).get(URL, {"unit": tree.county_b.pk})
    body = response.content.decode()
    assert "选择一个有效的选项" in body
    assert _missing(response) == [world.a.cadre.name]  # scope only, unfiltered
    assert world.b.cadre.name not in body
    response = login(org_a).get(URL, {"cadre": world.b.cadre.pk})
    assert _missing(response) == [world.a.cadre.name]
    assert world.b.cadre.name not in response.content.decode()


def test_the_host_leader_gets_a_link_to_file_the_missing_note(
    login, host_a, org_a, world
):
    catch_up()
    client = login(host_a)
    response = client.get(URL)
    [row] = response.context["missing"]
    assert row.cadre == world.a.cadre.name  # their unit's cadre only
    link = reverse("cadres:note_create", args=[world.a.posting.pk])
    assert row.file_url == f"{link}?month={_month(1):%Y-%m}"
    assert row.file_url in response.content.decode()
    # The link opens the form with the month filled in.
    form = client.get(row.file_url).context["form"]
    assert form["month"].value() == _month(1)
    # Org staff read the list; they do not file notes.
    [row] = login(org_a).get(URL).context["missing"]
    assert row.file_url == ""


def test_after_the_end_a_locked_month_offers_no_link(login, host_a, world, settings):
    posting = world.a.posting  # ended ten days into last month
    posting.status = Posting.Status.COMPLETED
    posting.planned_end_date = posting.ended_on = _month(1) + dt.timedelta(days=9)
    posting.set_midterm_date()
    posting.save()
    catch_up()
    settings.MONTHLY_NOTE_LOCK_DAYS = 400  # the month is still open
    [row] = login(host_a).get(URL).context["missing"]
    assert row.file_url
    settings.MONTHLY_NOTE_LOCK_DAYS = 0  # locked by itself: the host may not file
    [row] = login(host_a).get(URL).context["missing"]
    assert row.file_url == ""


def test_the_missing_table_pages_by_its_own_parameter(
    login, org_city, world, tree, settings
):
    settings.PAGE_SIZE = 2
    _rows(tree, None, 1)  # a third posting without last month's note
    catch_up()
    client = login(org_city)
    first = client.get(URL)
    assert len(first.context["missing"]) == 2
    assert first.context["missing"].paginator.count == 3
    assert "missing_page=2" in first.content.decode()
    second = client.get(URL, {"missing_page": 2})
    assert len(second.context["missing"]) == 1
    both = _missing(first) + _missing(second)
    assert len(set(both)) == 3
    assert {world.a.cadre.name, world.b.cadre.name} <= set(both)


def test_a_waived_note_is_not_missing(login, org_city, org_a, host_a, world):
    """Missing means owed and open: a note org staff waived (with a reason) is
    not missing here, as it is not on the home pages or the compliance
    matrix."""
    catch_up()
    owed = Obligation.objects.get(
        kind="monthly_note", posting=world.a.posting, period=_month(1)
    )
    waive(owed, org_a, "干部因病请假整月，接收单位无需填报")
    assert _missing(login(org_city).get(URL)) == [world.b.cadre.name]
    assert login(host_a).get(URL).context["missing"].paginator.count == 0


def test_each_missing_note_shows_its_due_day_and_whether_it_is_overdue(
    login, org_city, world
):
    catch_up()
    rows = {r.cadre: r for r in login(org_city).get(URL).context["missing"]}
    row = rows[world.a.cadre.name]
    due = Obligation.objects.get(
        kind="monthly_note", posting=world.a.posting, period=_month(1)
    ).due_on
    assert row.due_on == due
    assert row.overdue == (due < timezone.localdate())


@pytest.mark.parametrize(
    "params",
    [
        {"month": "abcd-ef"},
        {"month": "2026-13"},
        {"month": "9999-12"},
        {"month": "0001-01"},
        {"month": "x" * 3000},
        {"unit": "abcd"},
        {"unit": "-1"},
        {"unit": "99999999999999999999"},
        {"cadre": "#"},
        {"cadre": "１２"},
        {"missing_page": "-1"},
        {"missing_page": "abc"},
        {"page": "99999999999999999999"},
    ],
)
def test_a_malformed_parameter_is_ignored_not_a_500(login, org_city, world, params):
    client = login(org_city)
    client.raise_request_exception = False
    response = client.get(URL, params)
    assert response.status_code == 200
    month = response.context["month"]
    if "month" in params and params["month"] not in ("9999-12", "0001-01"):
        assert month == _month(1)  # a month it cannot read: last month
        assert "输入一个有效的日期" in response.content.decode()


# --- Queries do not grow with the rows ------------------------------------------


def _rows(tree, host, n):
    """n postings into `host`'s unit (or a fresh county-B township each): half
    with last month's note filed, half without."""
    names = []
    for i in range(n):
        home = UnitFactory(parent=tree.county_a)
        posting = PostingFactory(
            cadre=CadreFactory(unit=home),
            sending_unit=home,
            receiving_unit=host or UnitFactory(parent=tree.county_b, kind="township"),
            start_date=timezone.localdate() - dt.timedelta(days=200),
        )
        if i % 2:
            MonthlyNoteFactory(posting=posting, month=_month(1))
        names.append(posting.cadre.name)
    return names


def _count(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("persona", ["org_city", "host_a"])
def test_the_list_runs_the_same_queries_for_5_and_50_rows(
    login, tree, org_city, host_a, settings, persona
):
    settings.PAGE_SIZE = 100
    user = {"org_city": org_city, "host_a": host_a}[persona]
    client = login(user)
    host = user.unit if persona == "host_a" else None
    shown = _rows(tree, host, 6)
    catch_up()
    client.get(URL)  # warm up the session
    six, response = _count(client)
    assert len(response.context["missing"]) == 3 and len(response.context["notes"]) == 3
    shown += _rows(tree, host, 44)
    catch_up()
    fifty, response = _count(client)
    body = response.content.decode()
    assert all(name in body for name in shown)
    assert len(response.context["missing"]) == 25
    assert fifty == six, f"{six} queries for 6 rows, {fifty} for 50"
    assert six <= 12, six
