"""Compliance (issue 17): the monthly-note matrix (cadres × months: on time,
late, missing, not owed) with rates per unit and its .xlsx in the same
colours; the jurisdiction's share met on time by kind and month, each number
linking to the obligations behind it."""

import datetime as dt
import re
from io import BytesIO

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from guazhi.dates import add_months
from obligations.models import Obligation
from portal.compliance import CELL_COLOURS
from postings.models import Batch
from tests.portal.helpers import obligation

DONE = Obligation.Status.DONE


@pytest.fixture
def notes(world):
    """Side A's notes of the last four months: on time, late, missing, and one
    not yet due; the month before them is not owed (no obligation)."""
    today = timezone.localdate()
    last = add_months(today.replace(day=1), -1)
    months = [add_months(last, -i) for i in (3, 2, 1, 0)]
    p = world.a.posting
    made = {
        "on_time": obligation(
            p,
            period=months[0],
            due_on=today - dt.timedelta(days=60),
            status=DONE,
            done_on=today - dt.timedelta(days=61),
        ),
        "late": obligation(
            p,
            period=months[1],
            due_on=today - dt.timedelta(days=30),
            status=DONE,
            done_on=today - dt.timedelta(days=20),
        ),
        "overdue": obligation(p, period=months[2], due_on=today - dt.timedelta(days=1)),
        "pending": obligation(p, period=months[3], due_on=today + dt.timedelta(days=3)),
        "b": obligation(
            world.b.posting, period=months[2], due_on=today - dt.timedelta(days=1)
        ),
    }
    return months, made


def _matrix(html: str) -> dict[str, list[str]]:
    table = html.split('id="note-matrix"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]:
        name = re.search(r'<a href="[^"]*">([^<]+)</a>', row)
        if name:
            rows[name.group(1)] = re.findall(r'data-state="(\w*)"', row)
    return rows


def test_the_matrix_shows_each_month_as_filed(login, org_a, world, notes):
    months, _ = notes
    html = login(org_a).get(reverse("obligations:note_compliance")).content.decode()
    rows = _matrix(html)
    assert list(rows) == [world.a.cadre.name]  # county B's is not org_a's
    cells = rows[world.a.cadre.name]
    assert len(cells) == 12
    assert cells[-5:] == ["", "on_time", "late", "overdue", "pending"]
    for month in months:
        assert f"{month:%Y-%m}" in html
    rates = html.split('id="unit-rates"', 1)[1].split("</table>", 1)[0]
    assert world.a.posting.receiving_unit.name in rates
    assert 'data-rate="33"' in rates  # 1 on time of 3 due
    assert world.b.posting.receiving_unit.name not in rates


def test_the_matrix_filters_by_batch(login, org_a, world, notes):
    batch = Batch.objects.create(
        name="甲县2026年第一批",
        year=2026,
        unit=world.a.posting.sending_unit.parent,
        kinds=["downward"],
        created_by=org_a,
    )
    client = login(org_a)
    url = reverse("obligations:note_compliance")
    assert _matrix(client.get(url, {"batch": batch.pk}).content.decode()) == {}
    type(world.a.posting).objects.filter(pk=world.a.posting.pk).update(batch=batch)
    assert list(_matrix(client.get(url, {"batch": batch.pk}).content.decode())) == [
        world.a.cadre.name
    ]


def test_the_host_leader_sees_their_units_matrix(login, host_b, world, notes):
    rows = _matrix(
        login(host_b).get(reverse("obligations:note_compliance")).content.decode()
    )
    assert list(rows) == [world.b.cadre.name]


def test_the_export_has_the_pages_colours(login, org_a, world, notes):
    response = login(org_a).get(reverse("obligations:note_compliance_export"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(BytesIO(response.content))
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:O2"
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["姓名", "接收单位", "挂任职务"]
    row = list(sheet[2])
    assert row[0].value == world.a.cadre.name
    values = [c.value for c in row[-5:]]
    assert values == ["—", "按时", "逾期补报", "缺报", "待报"]
    fills = [c.fill.fgColor.rgb[-6:] for c in row[-4:]]
    assert fills == [CELL_COLOURS[s] for s in ("on_time", "late", "overdue", "pending")]
    rates = book.worksheets[1]
    assert [c.value for c in rates[2]][:7] == [
        world.a.posting.receiving_unit.name,
        3,
        1,
        1,
        1,
        0,
        33,
    ]


def test_the_share_met_on_time_links_to_its_obligations(login, org_a, world):
    today = timezone.localdate()
    p = world.a.posting
    due = today.replace(day=1) - dt.timedelta(days=1)  # last month's last day
    for done_on in (due, due, due + dt.timedelta(days=1)):
        obligation(p, due_on=due, status=DONE, done_on=done_on)
    obligation(p, due_on=due)  # overdue
    obligation(
        p,
        due_on=due,
        status=Obligation.Status.WAIVED,
        waived_by=org_a,
        waived_reason="免",
        waived_at=timezone.now(),
    )  # waived: not counted
    obligation(world.b.posting, due_on=due)  # county B's
    client = login(org_a)
    html = client.get(reverse("obligations:compliance")).content.decode()
    table = html.split('id="share-table"', 1)[1]
    assert 'data-rate="50"' in table  # 2 of 4
    link = re.search(r'href="([^"]+)"[^>]*data-on-time="2"', table).group(1)
    listed = client.get(link.replace("&amp;", "&")).content.decode()
    assert len(re.findall(r'data-obligation="\d+"', listed)) == 2
    assert "kind=monthly_note" in link and f"due_month={due:%Y-%m}" in link


def test_the_share_narrows_to_a_region_and_its_links_too(login, org_city, tree, world):
    today = timezone.localdate()
    due = today.replace(day=1) - dt.timedelta(days=1)
    obligation(world.a.posting, due_on=due, status=DONE, done_on=due)
    obligation(world.b.posting, due_on=due)
    client = login(org_city)
    url = reverse("obligations:compliance")
    whole = client.get(url).content.decode()
    assert 'data-rate="50"' in whole
    county_b = client.get(url, {"region": tree.county_b.pk}).content.decode()
    assert 'data-rate="0"' in county_b
    link = re.search(r'<a class="text-danger" href="([^"]+)"', county_b).group(1)
    assert f"region={tree.county_b.pk}" in link
    listed = client.get(link.replace("&amp;", "&")).content.decode()
    assert world.b.cadre.name in listed and world.a.cadre.name not in listed
