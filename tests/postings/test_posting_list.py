"""The posting list: filters, status counts, sorting, and an export of the same rows."""

import datetime as dt
import re
from io import BytesIO
from types import SimpleNamespace

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from cadres.models import Unit
from postings.models import Batch, Posting
from tests.factories import CadreFactory, PostingFactory, UnitFactory

TODAY = timezone.localdate()
STATUS, KIND = Posting.Status, Posting.Kind
ALL = {"列表甲", "列表乙", "列表丙", "列表丁", "列表戊"}


@pytest.fixture
def roster(tree, org_a):
    """Five postings of county A, each differing in what the filters look at.

    name   kind      status       from         to                 start      ends
    列表甲 downward  active       甲县财政局   甲一镇             -300 days  +20 days
    列表乙 upward    active       甲县发改局   江州市发改委       -250       +100
    列表丙 downward  proposed     甲县财政局   甲一村 (in 甲一镇) -200       +300
    列表丁 outward   completed    甲县发改局   深圳 (outside)     -700       -10
    列表戊 downward  ended_early  甲县财政局   甲一镇             -400       +15
    """
    dev = UnitFactory(name="甲县发改局", kind=Unit.Kind.ORGAN, parent=tree.county_a)
    city_organ = UnitFactory(name="江州市发改委", parent=tree.city)
    shenzhen = UnitFactory(name="深圳市南山区", kind=Unit.Kind.REGION)
    batch = Batch.objects.create(
        name="甲县2026年第一批",
        year=2026,
        unit=tree.county_a,
        kinds=["downward"],
        created_by=org_a,
    )
    other_batch = Batch.objects.create(
        name="甲县2026年第二批",
        year=2026,
        unit=tree.county_a,
        kinds=["upward"],
        created_by=org_a,
    )
    specs = [
        ("列表甲", KIND.DOWNWARD, STATUS.ACTIVE, tree.organ_a, tree.township_a1,
         -300, 20, batch),
        ("列表乙", KIND.UPWARD, STATUS.ACTIVE, dev, city_organ, -250, 100,
         other_batch),
        ("列表丙", KIND.DOWNWARD, STATUS.PROPOSED, tree.organ_a, tree.village_a1,
         -200, 300, batch),
        ("列表丁", KIND.OUTWARD, STATUS.COMPLETED, dev, shenzhen, -700, -10, None),
        ("列表戊", KIND.DOWNWARD, STATUS.ENDED_EARLY, tree.organ_a,
         tree.township_a1, -400, 15, None),
    ]  # fmt: skip
    postings = {}
    for name, kind, status, home, host, start, end, in_batch in specs:
        postings[name] = PostingFactory(
            cadre=CadreFactory(name=name, unit=home),
            kind=kind,
            status=status,
            sending_unit=home,
            receiving_unit=host,
            start_date=TODAY + dt.timedelta(days=start),
            planned_end_date=TODAY + dt.timedelta(days=end),
            batch=in_batch,
        )
    return SimpleNamespace(
        batch=batch, other_batch=other_batch, dev=dev, postings=postings
    )


def _names(response) -> list[str]:
    assert response.status_code == 200
    table = response.content.decode().split('id="posting-table"')[1]
    return re.findall(r'<td><a href="/postings/\d+/">([^<]+)</a></td>', table)


def _listed(client, **params) -> set[str]:
    return set(_names(client.get(reverse("postings:list"), params)))


def _days(n: int) -> str:
    return f"{TODAY + dt.timedelta(days=n):%Y-%m-%d}"


# --- Filters ----------------------------------------------------------------------


def test_without_filters_the_list_holds_every_posting_in_scope(login, org_a, roster):
    assert _listed(login(org_a)) == ALL


def test_the_list_filters_by_batch(login, org_a, roster):
    client = login(org_a)
    assert _listed(client, batch=roster.batch.pk) == {"列表甲", "列表丙"}
    assert _listed(client, batch=roster.other_batch.pk) == {"列表乙"}


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        ("downward", {"列表甲", "列表丙", "列表戊"}),
        ("upward", {"列表乙"}),
        ("outward", {"列表丁"}),
    ],
)
def test_the_list_filters_by_kind(login, org_a, roster, kind, names):
    assert _listed(login(org_a), kind=kind) == names


@pytest.mark.parametrize(
    ("status", "names"),
    [
        ("proposed", {"列表丙"}),
        ("active", {"列表甲", "列表乙"}),
        ("completed", {"列表丁"}),
        ("ended_early", {"列表戊"}),
    ],
)
def test_the_list_filters_by_status(login, org_a, roster, status, names):
    assert _listed(login(org_a), status=status) == names


def test_the_region_filter_takes_the_whole_subtree_of_receiving_units(
    login, org_a, tree, roster
):
    client = login(org_a)
    # 甲一村 lies under 甲一镇.
    assert _listed(client, region=tree.township_a1.pk) == {"列表甲", "列表丙", "列表戊"}
    assert _listed(client, region=tree.village_a1.pk) == {"列表丙"}
    assert _listed(client, region=tree.city.pk) == ALL - {"列表丁"}
    assert _listed(client, region=tree.county_b.pk) == set()


def test_the_list_filters_by_sending_unit(login, org_a, tree, roster):
    client = login(org_a)
    assert _listed(client, sending_unit=roster.dev.pk) == {"列表乙", "列表丁"}
    assert _listed(client, sending_unit=tree.organ_a.pk) == {
        "列表甲",
        "列表丙",
        "列表戊",
    }


def test_the_start_date_range_includes_both_ends(login, org_a, roster):
    client = login(org_a)
    assert _listed(client, start_from=_days(-250), start_to=_days(-200)) == {
        "列表乙",
        "列表丙",
    }
    assert _listed(client, start_from=_days(-300)) == {"列表甲", "列表乙", "列表丙"}
    assert _listed(client, start_to=_days(-400)) == {"列表丁", "列表戊"}


@pytest.mark.parametrize(
    ("days", "names"),
    [
        (0, set()),
        (19, set()),
        (20, {"列表甲"}),  # ends on the last day of the window
        (100, {"列表甲", "列表乙"}),
        (3650, {"列表甲", "列表乙"}),  # only postings in progress
    ],
)
def test_ending_within_n_days_lists_active_postings_ending_in_the_window(
    login, org_a, roster, days, names
):
    assert _listed(login(org_a), ending_within=days) == names


def test_filters_combine(login, org_a, tree, roster):
    client = login(org_a)
    assert _listed(client, status="active", kind="downward") == {"列表甲"}
    assert _listed(client, batch=roster.batch.pk, status="proposed") == {"列表丙"}
    assert _listed(client, region=tree.township_a1.pk, q="戊") == {"列表戊"}


def test_the_batch_filter_offers_only_batches_in_scope(
    login, org_a, org_b, world, roster
):
    offered = login(org_b).get(reverse("postings:list")).context["form"]
    assert roster.batch.pk not in _batch_choices(offered)
    # Naming another county's batch reveals nothing of it.
    assert not _listed(login(org_b), batch=roster.batch.pk) & ALL
    mine = login(org_a).get(reverse("postings:list")).context["form"]
    assert _batch_choices(mine) == {roster.batch.pk, roster.other_batch.pk}


def _batch_choices(form) -> set[int]:
    return {pk for pk, _name in form.fields["batch"].choices if pk}


def test_readers_are_not_offered_the_unit_filters(login, host_a, world):
    response = login(host_a).get(reverse("postings:list"))
    assert not response.context["form"].fields["region"].queryset.exists()
    assert 'name="region"' not in response.content.decode()


# --- Status counts --------------------------------------------------------------------


def _counts(response) -> dict[str, int]:
    pills = response.content.decode().split('id="status-counts"')[1].split("</ul>")[0]
    found = re.findall(
        r">(\S+) <span class=\"badge text-bg-light\">(\d+)</span>", pills
    )
    total = re.search(r"合计 (\d+)", pills)
    return {label: int(n) for label, n in found} | {"合计": int(total.group(1))}


def test_the_status_counts_count_the_filtered_postings(login, org_a, roster):
    client = login(org_a)
    assert _counts(client.get(reverse("postings:list"))) == {
        "拟派": 1,
        "在岗": 2,
        "期满": 1,
        "提前结束": 1,
        "已撤回": 0,
        "合计": 5,
    }
    downward = client.get(reverse("postings:list"), {"kind": "downward"})
    assert _counts(downward) == {
        "拟派": 1,
        "在岗": 1,
        "期满": 0,
        "提前结束": 1,
        "已撤回": 0,
        "合计": 3,
    }


def test_a_status_count_links_to_the_same_filters_with_that_status(
    login, org_a, roster
):
    response = login(org_a).get(reverse("postings:list"), {"kind": "downward"})
    pills = response.content.decode().split('id="status-counts"')[1].split("</ul>")[0]
    assert 'href="?kind=downward&amp;status=active"' in pills
    assert 'href="?kind=downward&amp;status=proposed"' in pills


# --- Sorting ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("", ["列表丙", "列表乙", "列表甲", "列表戊", "列表丁"]),  # newest first
        ("start", ["列表丁", "列表戊", "列表甲", "列表乙", "列表丙"]),
        ("-start", ["列表丙", "列表乙", "列表甲", "列表戊", "列表丁"]),
        ("end", ["列表丁", "列表戊", "列表甲", "列表乙", "列表丙"]),
        ("-end", ["列表丙", "列表乙", "列表甲", "列表戊", "列表丁"]),
        ("midterm", ["列表丁", "列表戊", "列表甲", "列表乙", "列表丙"]),
        ("no_such_column", ["列表丙", "列表乙", "列表甲", "列表戊", "列表丁"]),
    ],
)
def test_the_list_sorts_by_the_chosen_column(login, org_a, roster, sort, order):
    params = {"sort": sort} if sort else {}
    assert _names(login(org_a).get(reverse("postings:list"), params)) == order


def test_sorting_keeps_the_filters(login, org_a, roster):
    response = login(org_a).get(
        reverse("postings:list"), {"kind": "downward", "sort": "start"}
    )
    assert _names(response) == ["列表戊", "列表甲", "列表丙"]


# --- Export --------------------------------------------------------------------------


def _exported(client, **params) -> list[str]:
    response = client.get(reverse("postings:export"), params)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(BytesIO(response.content)).active
    return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "active"},
        {"kind": "downward", "sort": "start"},
        {"ending_within": "100", "sort": "-end"},
        {"region": "township_a1"},
        {"sending_unit": "dev", "start_from": _days(-800), "start_to": _days(-300)},
        {"batch": "batch"},
    ],
)
def test_the_export_holds_exactly_the_rows_of_the_list(
    login, org_a, tree, roster, params
):
    ids = {
        "township_a1": tree.township_a1.pk,
        "dev": roster.dev.pk,
        "batch": roster.batch.pk,
    }
    params = {k: ids.get(v, v) for k, v in params.items()}
    client = login(org_a)
    listed = _names(client.get(reverse("postings:list"), params))
    assert listed  # each case selects something
    assert _exported(client, **params) == listed


def test_the_export_link_carries_the_filters(login, org_a, roster):
    response = login(org_a).get(
        reverse("postings:list"), {"status": "active", "kind": "upward"}
    )
    link = re.search(r'id="export-link" href="([^"]+)"', response.content.decode())
    assert link.group(1) == "/postings/export.xlsx?status=active&amp;kind=upward"
    assert _exported(login(org_a), status="active", kind="upward") == ["列表乙"]


def test_the_status_counts_keep_every_status_when_one_is_chosen(login, org_a, roster):
    response = login(org_a).get(reverse("postings:list"), {"status": "active"})
    counts = _counts(response)
    assert (counts["拟派"], counts["在岗"], counts["期满"], counts["提前结束"]) == (
        1,
        2,
        1,
        1,
    )
    assert counts["合计"] == 2  # the list itself holds the chosen status only
    assert set(_names(response)) == {"列表甲", "列表乙"}


def test_one_invalid_filter_does_not_drop_the_others(login, org_a, roster):
    client = login(org_a)
    listed = _listed(client, kind="downward", ending_within="-1")
    assert listed == _listed(client, kind="downward")
    assert "列表乙" not in listed  # upward: the valid kind filter still applies
    export = client.get(
        reverse("postings:export"), {"kind": "downward", "ending_within": "-1"}
    )
    sheet = openpyxl.load_workbook(BytesIO(export.content)).active
    names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names == listed


# --- Counts follow every write (plain COUNT queries on each request) --------------


def test_a_new_posting_is_counted_on_the_next_request(login, tree, org_city):
    client = login(org_city)
    PostingFactory(sending_unit=tree.organ_a, receiving_unit=tree.township_a1)
    url = reverse("postings:list")
    assert _counts(client.get(url))["在岗"] == 1
    PostingFactory(sending_unit=tree.organ_a, receiving_unit=tree.township_a1)
    counts = _counts(client.get(url))
    assert (counts["在岗"], counts["合计"]) == (2, 2)


def test_a_status_change_moves_the_count(login, tree, org_city):
    client = login(org_city)
    posting = PostingFactory(sending_unit=tree.organ_a, receiving_unit=tree.township_a1)
    url = reverse("postings:list")
    client.get(url)
    posting.status = Posting.Status.COMPLETED
    posting.ended_on = posting.planned_end_date
    posting.save()
    counts = _counts(client.get(url))
    assert (counts["在岗"], counts["期满"]) == (0, 1)
    # update() sends no signal; the count follows all the same.
    Posting.objects.filter(pk=posting.pk).update(
        status=Posting.Status.ACTIVE, ended_on=None
    )
    assert _counts(client.get(url))["在岗"] == 1


def test_a_renamed_cadre_leaves_a_name_filter(login, tree, org_city):
    client = login(org_city)
    posting = PostingFactory(
        cadre=CadreFactory(name="周敏", unit=tree.organ_a),
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
    )
    url = reverse("postings:list") + "?q=周敏"
    assert _counts(client.get(url))["合计"] == 1
    posting.cadre.name = "周明"
    posting.cadre.save()
    assert _counts(client.get(url))["合计"] == 0


def test_counts_are_per_scope(login, tree, org_a, org_b):
    PostingFactory(sending_unit=tree.organ_a, receiving_unit=tree.township_a1)
    url = reverse("postings:list")
    assert _counts(login(org_a).get(url))["合计"] == 1
    assert _counts(login(org_b).get(url))["合计"] == 0


# --- What users typed: escaped in the rows, kept in the filter form ---------------


def test_list_rows_escape_what_users_typed(login, tree, org_city):
    PostingFactory(
        cadre=CadreFactory(name="<b>王</b>", unit=tree.organ_a),
        title='"><script>x()</script>',
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
    )
    body = login(org_city).get(reverse("postings:list")).content.decode()
    assert "<script>x()" not in body and "<b>王</b>" not in body
    assert "&lt;b&gt;王&lt;/b&gt;" in body
    assert "&quot;&gt;&lt;script&gt;x()&lt;/script&gt;" in body


def test_the_filter_form_keeps_input_and_shows_errors(login, tree, org_city):
    body = (
        login(org_city)
        .get(reverse("postings:list"), {"q": 'a"<b', "start_from": "不是日期"})
        .content.decode()
    )
    assert 'value="a&quot;&lt;b"' in body
    # The bad date keeps what was typed, is marked invalid and says why.
    assert re.search(
        r'<input type="date" name="start_from" value="不是日期"[^>]*is-invalid', body
    )
    assert 'id="id_start_from_error" class="invalid-feedback"' in body
    assert "输入一个有效的日期。" in body


def test_the_filter_form_selects_the_chosen_option(login, tree, org_city):
    body = (
        login(org_city).get(reverse("postings:list"), {"kind": "upward"}).content
    ).decode()
    assert '<option value="upward" selected>上派</option>' in body
    assert '<option value="outward">外派</option>' in body
    assert re.search(
        r'<div id="div_id_kind" class="mb-3">\s*<label\s+for="id_kind"', body
    )
