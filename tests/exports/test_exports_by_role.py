"""Every export, per role: only what the role may see, the rules of every
export (headers, dates, formula-looking and dirty text), each recorded in the
audit trail with its filters and rows."""

import pytest
from django.urls import reverse

from audit.models import Entry
from cadres.models import Role
from cadres.policy import role_may_use
from tests.conftest import CADRE_B_NAME
from tests.exports.every_export import (
    CLEAN_TITLE,
    FORMULA_NAME,
    cells,
    check_house_rules,
    county_a_batch,
    dirty_world,
    exports_of_county_a,
    is_date,
    workbook,
)


@pytest.fixture
def every(world, org_a):
    from tests.assessment.factories import make_round

    dirty_world(world)
    batch = county_a_batch(world)
    round_ = make_round(org_a, [world.a.posting])
    return exports_of_county_a(world, batch=batch, round_=round_)


def test_org_staff_get_every_export_by_the_rules_with_only_their_county(
    login, org_a, every
):
    client = login(org_a)
    for export in every:
        book = workbook(client.get(export.url))
        check_house_rules(book)
        found = cells(book)
        texts = [c.value for c in found if isinstance(c.value, str)]
        assert not any(CADRE_B_NAME in t for t in texts), export.name
        assert not any("\x01" in t or "\x00" in t or "\x1f" in t for t in texts)
        if export.names_cadres:
            formula = [c for c in found if c.value == FORMULA_NAME]
            assert formula, export.name
            assert all(c.data_type == "s" for c in formula), export.name
        if export.has_dates:
            assert any(is_date(c) for c in found), export.name
        if export.name in ("postings:export", "cadres:dossier_export"):
            assert CLEAN_TITLE in texts, export.name


def test_each_export_is_in_the_audit_trail_with_its_filters_and_rows(
    login, org_a, every
):
    client = login(org_a)
    for export in every:
        client.get(export.url, {"q": "甲"} if export.name == "cadres:export" else {})
    entries = {
        e.view: e for e in Entry.objects.filter(action=Entry.Action.EXPORT, user=org_a)
    }
    assert set(entries) == {export.name for export in every}
    assert all(e.rows is not None for e in entries.values())
    assert entries["cadres:export"].details == {"filters": {"q": "甲"}}


@pytest.mark.parametrize("persona", ["host_a", "home_a", "cadre_user"])
def test_roles_that_may_not_export_are_refused(login, personas, every, persona):
    user = personas[persona]
    client = login(user)
    for export in every:
        assert not role_may_use(user.role, export.name)
        assert client.get(export.url).status_code in (403, 404), export.name


def test_org_staff_of_the_other_county_get_none_of_county_a(login, org_b, every):
    """A list export holds none of county A; an object export of county A's
    object (dossier, batch, round) is a 404."""
    client = login(org_b)
    for export in every:
        response = client.get(export.url)
        if export.of_object:
            assert response.status_code == 404, export.name
            continue
        texts = [c.value for c in cells(workbook(response))]
        assert FORMULA_NAME not in texts, export.name


def test_the_batch_summary_counts_only_candidates_in_sight(login, org_a, every):
    book = workbook(login(org_a).get(every[3].url))
    overview = dict(book["概况"].iter_rows(min_row=2, values_only=True))
    assert overview["候选人数"] == 1  # cadre B's nomination is out of sight
    assert overview["其中选中"] == 1
    assert overview["已安排挂职人数"] == 1
    sources = {r[0]: r for r in book["人选（按推荐方式）"].iter_rows(values_only=True)}
    assert sources["组织推荐"][1] == 1 and sources["个人自荐"][1] == 0
    kinds = {r[0]: r for r in book["挂职（按类型和状态）"].iter_rows(values_only=True)}
    assert kinds["合计"][-1] == 1


def test_the_overdue_export_groups_by_unit_and_kind(login, org_a, org_city, every):
    url = reverse("obligations:overdue_export")
    groups = list(
        workbook(login(org_a).get(url))["按单位和类型"].iter_rows(
            min_row=2, values_only=True
        )
    )
    assert [(g[0], g[1], g[2]) for g in groups] == [("甲一镇", "月小结", 1)]
    city = workbook(login(org_city).get(url))["按单位和类型"]
    assert [r[0] for r in city.iter_rows(min_row=2, values_only=True)] == [
        "甲一镇",
        "乙一镇",
    ]


def test_the_cadre_export_keeps_the_list_filters(login, org_a, world, tree):
    from tests.factories import CadreFactory

    CadreFactory(name="甲县另一人", unit=tree.organ_a)
    client = login(org_a)
    page = client.get(reverse("cadres:list"), {"q": "另一"}).content.decode()
    assert 'id="cadre-export"' in page and "q=%E5%8F%A6%E4%B8%80" in page
    book = workbook(client.get(reverse("cadres:export"), {"q": "另一"}))
    names = [r[0] for r in book.active.iter_rows(min_row=2, values_only=True)]
    assert names == ["甲县另一人"]


def test_host_leaders_see_no_export_link_on_the_cadre_list(login, host_a, world):
    page = login(host_a).get(reverse("cadres:list")).content.decode()
    assert 'id="cadre-export"' not in page
    assert login(host_a).get(reverse("cadres:export")).status_code == 403


def test_admins_get_the_cadre_list_in_full_and_others_masked(login, admin, world):
    assert Role.ADMIN == admin.role
    book = workbook(login(admin).get(reverse("cadres:export")))
    ids = [r[1] for r in book.active.iter_rows(min_row=2, values_only=True)]
    assert world.a.cadre.id_number in ids and world.b.cadre.id_number in ids
