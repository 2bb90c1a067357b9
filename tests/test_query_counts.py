"""List pages and the export run the same number of queries for 5 and 50 rows.

Every row gets its own cadre, units and author, so a lookup per row (N+1)
would add queries when the rows grow from 5 to 50.
"""

from io import BytesIO

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadres.models import Role, Unit
from tests.factories import (
    CadreFactory,
    MonthlyNoteFactory,
    PostingFactory,
    ReminderFactory,
    UnitFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _one_page(settings):
    settings.PAGE_SIZE = 100  # all 50 rows on one page, so N+1 would show


def _posting(tree, receiving_unit=None):
    """A posting from a fresh organ of county A to a fresh township of county B."""
    home = UnitFactory(parent=tree.county_a)
    return PostingFactory(
        cadre=CadreFactory(unit=home),
        sending_unit=home,
        receiving_unit=receiving_unit
        or UnitFactory(parent=tree.county_b, kind=Unit.Kind.TOWNSHIP),
    )


def add_cadres(tree, user, n):
    return [CadreFactory(unit=UnitFactory(parent=tree.county_a)).name for _ in range(n)]


def add_postings(tree, user, n):
    return [_posting(tree).cadre.name for _ in range(n)]


def add_notes(tree, user, n):
    host = user.unit if user.role == Role.HOST_LEADER else None
    names = []
    for _ in range(n):
        note = MonthlyNoteFactory(posting=_posting(tree, receiving_unit=host))
        names.append(note.posting.cadre.name)
    return names


def add_reminders(tree, user, n):
    return [
        ReminderFactory(recipient=user, posting=_posting(tree)).message
        for _ in range(n)
    ]


def add_home_rows(tree, user, n):
    add_reminders(tree, user, n)
    return []  # the dashboard shows counts and the latest eight reminders


def add_units(tree, user, n):
    names = []
    for _ in range(n):
        unit = UnitFactory(parent=tree.county_a)
        CadreFactory(unit=unit)
        PostingFactory(receiving_unit=unit)
        names.append(unit.name)
    return names


PAGES = [
    ("cadres:list", "org_city", add_cadres),
    ("postings:list", "org_city", add_postings),
    ("cadres:note_list", "org_city", add_notes),
    ("cadres:note_list", "host_a", add_notes),
    ("postings:notifications", "org_city", add_reminders),
    ("home", "org_city", add_home_rows),
    ("cadres:unit_tree", "org_city", add_units),
]


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize(
    ("page", "persona", "add_rows"),
    PAGES,
    ids=[f"{page}-{persona}" for page, persona, _ in PAGES],
)
def test_list_page_runs_the_same_queries_for_5_and_50_rows(
    login, tree, org_city, host_a, page, persona, add_rows
):
    user = {"org_city": org_city, "host_a": host_a}[persona]
    client = login(user)
    url = reverse(page)
    shown = add_rows(tree, user, 5)
    client.get(url)  # warm up the session
    five, response = _count(client, url)
    for text in shown:
        assert text in response.content.decode()
    shown += add_rows(tree, user, 45)
    fifty, response = _count(client, url)
    body = response.content.decode()
    for text in shown:
        assert text in body  # all fifty rows rendered
    assert fifty == five, f"{page}: {five} queries for 5 rows, {fifty} for 50"


def test_export_runs_the_same_queries_for_5_and_50_rows(login, tree, org_city):
    client = login(org_city)
    url = reverse("postings:export")
    add_postings(tree, org_city, 5)
    client.get(url)
    five, response = _count(client, url)
    sheet = openpyxl.load_workbook(BytesIO(response.content)).active
    assert sheet.max_row == 1 + 5
    add_postings(tree, org_city, 45)
    fifty, response = _count(client, url)
    sheet = openpyxl.load_workbook(BytesIO(response.content)).active
    assert sheet.max_row == 1 + 50
    assert fifty == five


def test_note_list_for_a_host_leader_holds_only_their_units_notes(login, tree, host_a):
    """The host-leader row of the query-count table measures a scoped list."""
    mine = add_notes(tree, host_a, 3)
    other = add_notes(tree, UserFactory(role=Role.ORG_STAFF, unit=tree.city), 3)
    body = login(host_a).get(reverse("cadres:note_list")).content.decode()
    assert all(name in body for name in mine)
    assert not any(name in body for name in other)
