"""挂职结构: numbers against a hand-counted fixture, per role and
jurisdiction; every number's drill-down lists exactly the rows it counts."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadres.models import Rank, Unit
from postings.models import Batch, Posting
from tests.factories import CadreFactory, PostingFactory, UnitFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def born(age: int) -> dt.date:
    """A birth date giving `age` whole years today (mid-year, no edge)."""
    day = TODAY.replace(month=1, day=1) if TODAY.month > 6 else TODAY.replace(day=1)
    return day.replace(year=day.year - age) - dt.timedelta(days=1)


@pytest.fixture
def county_a_postings(tree, org_a):
    """County A's postings, hand-counted:

    p1 下派 在岗 F 副科 后备 31岁 汉族 本科 党员 → 甲一镇 (30 km), batch
    p2 上派 在岗 M 副处 后备 45岁 回族 硕士 党员 → 甲一村 (no distance), batch
    p3 下派 期满 M 正科       52岁 汉族 本科 群众 → 甲一镇, started last year
    p4 外派 在岗 F 正科       38岁 汉族 专科 党员 → 外市单位 (outside, 120 km)
    """
    batch = Batch.objects.create(
        name="甲县第一批", year=TODAY.year, unit=tree.county_a, created_by=org_a
    )
    outside = UnitFactory(name="外市开发区", kind=Unit.Kind.REGION, distance_km=120)
    common = {"unit": tree.organ_a}
    c1 = CadreFactory(
        gender="F",
        rank=Rank.DEPUTY_SECTION,
        is_reserve=True,
        birth_date=born(31),
        ethnicity="汉族",
        education="bachelor",
        political_status="cpc",
        **common,
    )
    c2 = CadreFactory(
        gender="M",
        rank=Rank.DEPUTY_DIVISION,
        is_reserve=True,
        birth_date=born(45),
        ethnicity="回族",
        education="master",
        political_status="cpc",
        **common,
    )
    c3 = CadreFactory(
        gender="M",
        rank=Rank.SECTION,
        birth_date=born(52),
        ethnicity="汉族",
        education="bachelor",
        political_status="masses",
        **common,
    )
    c4 = CadreFactory(
        gender="F",
        rank=Rank.SECTION,
        birth_date=born(38),
        ethnicity="汉族",
        education="college",
        political_status="cpc",
        **common,
    )
    this_year = TODAY.replace(month=1, day=15)
    last_year = this_year.replace(year=this_year.year - 1)
    return [
        PostingFactory(
            cadre=c1,
            receiving_unit=tree.township_a1,
            start_date=this_year,
            batch=batch,
            category="township_leader",
        ),
        PostingFactory(
            cadre=c2,
            kind=Posting.Kind.UPWARD,
            receiving_unit=tree.village_a1,
            start_date=this_year,
            batch=batch,
            category="village",
        ),
        PostingFactory(
            cadre=c3,
            receiving_unit=tree.township_a1,
            start_date=last_year,
            status=Posting.Status.COMPLETED,
        ),
        PostingFactory(
            cadre=c4,
            kind=Posting.Kind.OUTWARD,
            receiving_unit=outside,
            start_date=this_year,
        ),
    ]


@pytest.fixture
def county_b_posting(tree):
    cadre = CadreFactory(unit=tree.organ_b, gender="F", rank=Rank.DEPUTY_DIVISION)
    return PostingFactory(
        cadre=cadre, receiving_unit=tree.township_b1, start_date=TODAY.replace(day=1)
    )


def _page(client, **params):
    response = client.get(reverse("analytics:structure"), params)
    assert response.status_code == 200
    return response.context["stats"]


def _counts(stats, key: str) -> dict[str, int]:
    table = next(t for t in stats.tables if t.key == key)
    return {row.label: row.n for row in table.rows}


def test_org_staff_of_county_a_see_their_hand_counted_numbers(
    login, org_a, county_a_postings, county_b_posting
):
    stats = _page(login(org_a))
    assert stats.total == 4
    assert _counts(stats, "kind") == {"外派": 1, "下派": 2, "上派": 1}
    assert _counts(stats, "status") == {"在岗": 3, "期满": 1}
    assert _counts(stats, "region") == {
        "甲一镇": 3,  # 甲一镇 and 甲一村 below it
        "外市开发区（辖区外）": 1,
    }
    distance = next(t for t in stats.tables if t.key == "distance")
    by_band = {row.label: [c.value for c in row.cells] for row in distance.rows}
    assert by_band == {
        "20-50公里": [2, 1, 0],
        "100公里以上": [1, 1, 0],
        "未填距离": [1, 0, 1],
    }
    # The cadres on posting: p1, p2, p4.
    assert stats.on_posting.value == 3
    assert _counts(stats, "cadre_gender") == {"男": 1, "女": 2}
    assert _counts(stats, "cadre_rank") == {"副科": 1, "正科": 1, "副处": 1}
    assert _counts(stats, "cadre_age") == {"30-34岁": 1, "35-39岁": 1, "45-49岁": 1}
    assert _counts(stats, "cadre_ethnicity") == {"汉族": 2, "回族": 1}
    assert _counts(stats, "cadre_education") == {
        "硕士研究生": 1,
        "大学本科": 1,
        "大学专科": 1,
    }
    assert _counts(stats, "cadre_reserve") == {"是": 2, "否": 1}
    assert stats.average_age == pytest.approx((31 + 45 + 38) / 3, abs=0.05)
    assert stats.women.value == 2
    assert stats.women_pct == pytest.approx(66.7)


def test_out_of_jurisdiction_postings_are_never_counted(
    login, org_b, county_a_postings, county_b_posting
):
    stats = _page(login(org_b))
    assert stats.total == 1
    assert _counts(stats, "cadre_rank") == {"副处": 1}


def test_city_staff_and_admin_count_both_counties_by_region(
    login, org_city, admin, county_a_postings, county_b_posting
):
    for user in (org_city, admin):
        stats = _page(login(user))
        assert stats.total == 5
    city = _counts(_page(login(org_city)), "region")
    assert city == {"甲县": 3, "乙县": 1, "外市开发区（辖区外）": 1}


def test_filters_narrow_the_selection(
    login, org_city, tree, county_a_postings, county_b_posting
):
    client = login(org_city)
    assert _page(client, within=tree.county_b.pk).total == 1
    assert _page(client, kind="downward").total == 3
    assert _page(client, year=TODAY.year - 1).total == 1
    batch = county_a_postings[0].batch
    assert _page(client, batch=batch.pk).total == 2


def _all_cells(stats):
    yield "on_posting", stats.on_posting.value, stats.on_posting.url
    yield "women", stats.women.value, stats.women.url
    for table in stats.tables:
        if table.rest:
            yield f"{table.key}/其余", table.rest.value, table.rest.url
        for row in table.rows:
            for index, cell in enumerate(row.cells):
                if cell.url:
                    yield f"{table.key}/{row.label}/{index}", cell.value, cell.url


@pytest.mark.parametrize("persona", ["org_a", "org_city", "admin"])
@pytest.mark.parametrize("params", [{}, {"kind": "downward"}, {"within": "county_a"}])
def test_every_number_links_to_a_list_of_exactly_its_rows(
    login, personas, tree, county_a_postings, county_b_posting, persona, params
):
    user = personas[persona]
    client = login(user)
    params = {k: getattr(tree, v).pk if k == "within" else v for k, v in params.items()}
    response = client.get(reverse("analytics:structure"), params)
    stats = response.context["stats"]
    checked = 0
    for name, value, url in _all_cells(stats):
        if not url:
            continue
        listed = client.get(url)
        assert listed.status_code == 200, (name, url)
        assert listed.context["page_obj"].paginator.count == value, (name, url)
        checked += 1
    assert checked > 20
    # The total's link too.
    total = client.get(response.context["total_url"])
    assert total.context["page_obj"].paginator.count == stats.total


@pytest.fixture
def many_units(tree, org_a):
    """County A's postings from 24 sending units and 23 batches: unit i sends
    i % 4 + 1 postings (ties across the 20th row), one in three upward, one
    in five in no batch."""
    batches = [
        Batch.objects.create(
            name=f"第{i}批", year=TODAY.year, unit=tree.county_a, created_by=org_a
        )
        for i in range(23)
    ]
    n = 0
    for i in range(24):
        unit = UnitFactory(name=f"甲县单位{i}", parent=tree.county_a)
        for _j in range(i % 4 + 1):
            PostingFactory(
                cadre=CadreFactory(unit=unit),
                receiving_unit=tree.township_a1,
                kind=Posting.Kind.UPWARD if n % 3 == 0 else Posting.Kind.DOWNWARD,
                batch=None if n % 5 == 0 else batches[n % 23],
                start_date=TODAY.replace(month=1, day=15),
            )
            n += 1
    return n


@pytest.mark.parametrize("persona", ["org_a", "org_city"])
@pytest.mark.parametrize("params", [{}, {"kind": "downward"}])
def test_the_rows_beyond_the_top_twenty_link_to_exactly_their_rows(
    login, personas, many_units, county_b_posting, persona, params
):
    client = login(personas[persona])
    stats = _page(client, **params)
    tables = {table.key: table for table in stats.tables}
    for key in ("sending", "batch"):
        table = tables[key]
        assert len(table.rows) == 20
        assert table.rest.value == stats.total - sum(row.n for row in table.rows)
        assert table.rest.value > 0
    checked = 0
    for name, value, url in _all_cells(stats):
        listed = client.get(url)
        assert listed.status_code == 200, (name, url)
        assert listed.context["page_obj"].paginator.count == value, (name, url)
        checked += 1
    assert checked > 40
    # The list says what it shows, and its status tabs count the same rows.
    listed = client.get(tables["sending"].rest.url)
    assert "前20名以外" in listed.content.decode()
    active = client.get(tables["sending"].rest.url + "&status=active")
    assert active.context["page_obj"].paginator.count == tables["sending"].rest.value


def test_a_malformed_rest_is_no_filter(login, org_a, many_units):
    client = login(org_a)
    listed = client.get(reverse("postings:list"), {"rest": "nonsense"})
    assert listed.status_code == 200
    assert listed.context["page_obj"].paginator.count == many_units


def test_query_count_does_not_grow_with_the_postings(login, org_city, tree):
    client = login(org_city)

    def make(n):
        for i in range(n):
            home = tree.organ_a if i % 2 else tree.organ_b
            host = tree.township_a1 if i % 3 else tree.township_b1
            cadre = CadreFactory(unit=home, rank=1 + i % 5, ethnicity=f"族{i % 7}")
            PostingFactory(cadre=cadre, receiving_unit=host)

    make(5)
    client.get(reverse("analytics:structure"))  # the session's first request
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("analytics:structure")).status_code == 200
    make(45)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("analytics:structure")).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_other_roles_cannot_open_the_statistics(login, host_a, home_a, cadre_user):
    for user in (host_a, home_a, cadre_user):
        response = login(user).get(reverse("analytics:structure"))
        assert response.status_code == 403


def test_export_is_audited_and_holds_the_numbers(
    login, org_a, county_a_postings, county_b_posting
):
    from io import BytesIO

    from openpyxl import load_workbook

    from audit.models import Entry

    response = login(org_a).get(reverse("analytics:structure_export"))
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    kinds = {row[0]: row[1] for row in book["按挂职类型"].iter_rows(values_only=True)}
    assert kinds["下派"] == 2
    entry = Entry.objects.get(action="export")
    assert entry.rows == 4
