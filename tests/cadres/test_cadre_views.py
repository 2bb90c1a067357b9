"""Registering, editing, listing and reading cadres through the views."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from cadres import idcard
from cadres.models import Cadre, Rank
from tests.conftest import CADRE_A_NAME, form_errors
from tests.factories import CadreFactory, PostingFactory, UnitFactory

NUMBER = idcard.make("320581", dt.date(1988, 3, 14), 37, "F")


def _form(unit, **changes) -> dict:
    data = {
        "name": "林晓雯",
        "id_number": NUMBER,
        "gender": "F",
        "birth_date": "1988-03-14",
        "unit": unit.pk,
        "position": "科员",
        "rank": Rank.DEPUTY_SECTION,
        "is_reserve": "on",
        "speciality": "农业经济",
        "phone": "13800000000",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _listed(response) -> list[str]:
    # The page's rows are portal.views.CadreRow values.
    return [row.name for row in response.context["page_obj"]]


# --- Registering --------------------------------------------------------------


def test_org_staff_registers_a_cadre_through_the_form(login, org_a, tree):
    client = login(org_a)
    response = client.post(reverse("cadres:create"), _form(tree.organ_a))
    cadre = Cadre.objects.get(id_number=NUMBER)
    assert response.status_code == 302
    assert response["Location"] == cadre.get_absolute_url()
    assert (cadre.name, cadre.unit, cadre.rank) == ("林晓雯", tree.organ_a, 2)
    assert (cadre.birth_date, cadre.gender) == (dt.date(1988, 3, 14), "F")
    assert cadre.is_reserve
    page = client.get(response["Location"])
    assert "已登记干部 林晓雯" in page.content.decode()


def test_blank_gender_and_birth_date_are_filled_from_the_id_number(login, org_a, tree):
    data = _form(tree.organ_a, gender="", birth_date="")
    response = login(org_a).post(reverse("cadres:create"), data)
    assert response.status_code == 302
    cadre = Cadre.objects.get(id_number=NUMBER)
    assert cadre.birth_date == dt.date(1988, 3, 14)
    assert cadre.gender == "F"


def test_a_lowercase_x_in_the_id_number_is_stored_uppercase(login, org_a, tree):
    number = "11010519491231002X"
    data = _form(tree.organ_a, id_number=number.lower(), gender="", birth_date="")
    assert login(org_a).post(reverse("cadres:create"), data).status_code == 302
    assert Cadre.objects.filter(id_number=number).exists()


def test_an_invalid_id_number_is_refused_in_chinese_and_nothing_is_written(
    login, org_a, tree
):
    wrong = NUMBER[:17] + ("0" if NUMBER[17] != "0" else "1")
    response = login(org_a).post(
        reverse("cadres:create"), _form(tree.organ_a, id_number=wrong)
    )
    assert response.status_code == 200
    assert "身份证号校验位不正确，请核对。" in form_errors(response)
    assert not Cadre.objects.exists()


def test_the_form_remembers_the_input_after_an_error(login, org_a, tree):
    response = login(org_a).post(
        reverse("cadres:create"), _form(tree.organ_a, id_number="12345")
    )
    body = response.content.decode()
    assert "身份证号应为18位" in form_errors(response)
    assert 'value="林晓雯"' in body
    assert 'value="12345"' in body
    assert 'value="农业经济"' in body
    assert "请更正下面标出的错误后再保存。" in body


def test_a_birth_date_that_disagrees_with_the_id_number_is_refused(login, org_a, tree):
    response = login(org_a).post(
        reverse("cadres:create"), _form(tree.organ_a, birth_date="1988-03-15")
    )
    assert "出生日期与身份证号不一致（身份证号显示为1988-03-14）。" in form_errors(
        response
    )
    assert not Cadre.objects.exists()


def test_a_gender_that_disagrees_with_the_id_number_is_refused(login, org_a, tree):
    response = login(org_a).post(
        reverse("cadres:create"), _form(tree.organ_a, gender="M")
    )
    assert "性别与身份证号不一致。" in form_errors(response)
    assert not Cadre.objects.exists()


def test_a_registered_id_number_is_refused_as_a_duplicate(login, org_a, tree):
    CadreFactory(id_number=NUMBER, name="先登记者", unit=tree.organ_a)
    response = login(org_a).post(
        reverse("cadres:create"), _form(tree.organ_a, name="后登记者")
    )
    errors = form_errors(response)
    assert "身份证号" in errors
    assert "已存在" in errors or "已登记" in errors
    assert list(Cadre.objects.values_list("name", flat=True)) == ["先登记者"]


def test_org_staff_cannot_register_a_cadre_in_another_county(login, org_a, tree):
    response = login(org_a).post(reverse("cadres:create"), _form(tree.organ_b))
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert not Cadre.objects.exists()


def test_org_staff_edits_a_cadre(login, org_a, tree):
    cadre = CadreFactory(unit=tree.organ_a, name="旧名字")
    data = _form(
        tree.township_a1,
        name="新名字",
        id_number=cadre.id_number,
        gender=cadre.gender,
        birth_date=cadre.birth_date.isoformat(),
    )
    response = login(org_a).post(reverse("cadres:edit", args=[cadre.pk]), data)
    assert response.status_code == 302
    cadre.refresh_from_db()
    assert (cadre.name, cadre.unit) == ("新名字", tree.township_a1)


def test_editing_a_cadre_keeps_the_id_number_rules(login, org_a, tree):
    cadre = CadreFactory(unit=tree.organ_a, name="旧名字")
    data = _form(tree.organ_a, name="新名字", id_number=cadre.id_number[:17] + "Y")
    response = login(org_a).post(reverse("cadres:edit", args=[cadre.pk]), data)
    assert response.status_code == 200
    cadre.refresh_from_db()
    assert cadre.name == "旧名字"


# --- The list: search, filters, pagination ---------------------------------------


@pytest.fixture
def roster(tree):
    return {
        "a_organ": CadreFactory(
            name="张建国", unit=tree.organ_a, rank=Rank.SECTION, is_reserve=True
        ),
        "a_town": CadreFactory(
            name="李卫东", unit=tree.township_a1, rank=Rank.DEPUTY_SECTION
        ),
        "a_village": CadreFactory(
            name="张小红", unit=tree.village_a1, rank=Rank.CLERK, is_reserve=True
        ),
        "b_organ": CadreFactory(
            name="王志强", unit=tree.organ_b, rank=Rank.SECTION, is_reserve=False
        ),
    }


def test_org_staff_finds_cadres_by_name(login, org_city, roster):
    response = login(org_city).get(reverse("cadres:list"), {"q": "张"})
    assert sorted(_listed(response)) == ["张小红", "张建国"]


def test_org_staff_finds_a_cadre_by_id_number(login, org_city, roster):
    cadre = roster["b_organ"]
    client = login(org_city)
    assert _listed(client.get(reverse("cadres:list"), {"q": cadre.id_number})) == [
        "王志强"
    ]
    # Part of the number also matches: the sequence digits and check digit.
    tail = cadre.id_number[-4:]
    assert "王志强" in _listed(client.get(reverse("cadres:list"), {"q": tail}))


def test_host_leader_searching_digits_does_not_match_id_numbers(login, host_a, world):
    client = login(host_a)
    cadre = world.a.cadre
    assert _listed(client.get(reverse("cadres:list"))) == [CADRE_A_NAME]
    for q in (cadre.id_number, cadre.id_number[:6], cadre.id_number[-4:]):
        assert _listed(client.get(reverse("cadres:list"), {"q": q})) == []
    assert _listed(client.get(reverse("cadres:list"), {"q": CADRE_A_NAME[:2]})) == [
        CADRE_A_NAME
    ]


def test_filtering_by_unit_includes_its_subtree(login, org_city, tree, roster):
    client = login(org_city)
    by_county = _listed(client.get(reverse("cadres:list"), {"unit": tree.county_a.pk}))
    assert sorted(by_county) == ["张小红", "张建国", "李卫东"]
    by_town = _listed(client.get(reverse("cadres:list"), {"unit": tree.township_a1.pk}))
    assert sorted(by_town) == ["张小红", "李卫东"]


def test_org_staff_cannot_filter_by_a_unit_outside_their_jurisdiction(
    login, org_a, tree, roster
):
    response = login(org_a).get(reverse("cadres:list"), {"unit": tree.county_b.pk})
    assert "王志强" not in _listed(response)
    assert "王志强" not in response.content.decode()


def test_filtering_by_rank_and_reserve(login, org_city, roster):
    client = login(org_city)
    section = _listed(client.get(reverse("cadres:list"), {"rank": Rank.SECTION}))
    assert sorted(section) == ["张建国", "王志强"]
    reserve = _listed(client.get(reverse("cadres:list"), {"reserve": "1"}))
    assert sorted(reserve) == ["张小红", "张建国"]
    not_reserve = _listed(client.get(reverse("cadres:list"), {"reserve": "0"}))
    assert sorted(not_reserve) == ["李卫东", "王志强"]
    both = _listed(
        client.get(reverse("cadres:list"), {"reserve": "1", "rank": Rank.CLERK})
    )
    assert both == ["张小红"]


def test_the_cadre_list_is_paginated(login, org_city, tree, settings):
    settings.PAGE_SIZE = 2
    for i in range(5):
        CadreFactory(name=f"分页{i}", unit=tree.organ_a)
    client = login(org_city)
    pages = [
        _listed(client.get(reverse("cadres:list"), {"page": n})) for n in (1, 2, 3)
    ]
    assert pages == [["分页0", "分页1"], ["分页2", "分页3"], ["分页4"]]
    first = client.get(reverse("cadres:list")).content.decode()
    assert "共 5 条" in first
    assert "1 / 3" in first
    # Filters survive paging.
    filtered = client.get(reverse("cadres:list"), {"q": "分页", "page": 2})
    links = re.findall(r'href="(\?[^"]*page=[^"]*)"', filtered.content.decode())
    assert "?q=%E5%88%86%E9%A1%B5&page=3" in links


def test_the_cadre_list_escapes_what_users_typed(login, org_city, tree):
    CadreFactory(name="<b>王</b>", position='"><script>x()</script>', unit=tree.organ_a)
    body = login(org_city).get(reverse("cadres:list")).content.decode()
    assert "<script>x()" not in body and "<b>王</b>" not in body
    assert "&lt;b&gt;王&lt;/b&gt;" in body
    assert "&quot;&gt;&lt;script&gt;x()&lt;/script&gt;" in body


def test_the_cadre_list_count_follows_a_new_cadre(login, org_city, tree, settings):
    settings.PAGE_SIZE = 2
    client = login(org_city)
    for i in range(3):
        CadreFactory(name=f"计数{i}", unit=tree.organ_a)
    assert "共 3 条" in client.get(reverse("cadres:list")).content.decode()
    CadreFactory(name="计数3", unit=tree.organ_a)
    assert "共 4 条" in client.get(reverse("cadres:list")).content.decode()
    filtered = client.get(reverse("cadres:list"), {"q": "计数"}).content.decode()
    assert "共 4 条" in filtered


# --- ID numbers: full for org staff and admins, masked for everyone else ----------


@pytest.mark.parametrize(
    ("persona", "full"),
    [
        ("org_a", True),
        ("admin", True),
        ("host_a", False),
        ("home_a", False),
        ("cadre_user", False),
    ],
)
def test_id_number_is_masked_except_for_org_staff_and_admins(
    login, personas, world, persona, full
):
    cadre = world.a.cadre
    client = login(personas[persona])
    shown = cadre.id_number if full else idcard.mask(cadre.id_number)
    hidden = idcard.mask(cadre.id_number) if full else cadre.id_number

    detail = client.get(cadre.get_absolute_url()).content.decode()
    assert f'id="id-number">{shown}<' in detail
    assert hidden not in detail

    if persona == "cadre_user":
        assert client.get(reverse("cadres:list")).status_code == 403
        return
    listing = client.get(reverse("cadres:list")).content.decode()
    assert shown in listing
    assert hidden not in listing
    if not full:
        assert cadre.id_number[6:14] not in listing  # the birth-date digits


def test_cadre_detail_lists_only_postings_in_the_viewers_scope(login, host_a, world):
    cadre = world.a.cadre
    elsewhere = UnitFactory(name="丙镇", kind="township")
    PostingFactory(
        cadre=cadre,
        sending_unit=cadre.unit,
        receiving_unit=elsewhere,
        status="completed",
        title="丙镇副镇长",
    )
    body = login(host_a).get(cadre.get_absolute_url()).content.decode()
    assert world.a.posting.title in body
    assert "丙镇副镇长" not in body
