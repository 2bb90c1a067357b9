"""The post category decides the default term (DOMAIN.md rule 4, seed 002), so
it is never filled in silently: the form offers 请选择 first, the server infers
the category from the title and the receiving unit where that is certain, and
asks otherwise, keeping what was typed."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cadres.models import Rank, Unit
from guazhi.dates import add_months
from postings import services
from postings.models import DEFAULT_TERMS, PostCategory, Posting, infer_category
from tests.conftest import form_errors
from tests.factories import CadreFactory, UnitFactory

START = dt.date(2026, 4, 1)
ASK = "无法根据挂任职务"


@pytest.fixture
def city_organ(tree):
    return UnitFactory(name="江州市发改委", kind=Unit.Kind.ORGAN, parent=tree.city)


@pytest.fixture
def free_cadre(tree):
    return CadreFactory(name="尉迟待岗", unit=tree.organ_a, rank=Rank.SECTION)


def _form(cadre, receiving, **changes) -> dict:
    data = {
        "cadre": cadre.pk,
        "kind": "upward",
        "sending_unit": cadre.unit.pk,
        "receiving_unit": receiving.pk,
        "title": "局长助理",
        "category": "",
        "start_date": f"{START:%Y-%m-%d}",
        "planned_end_date": "",
    }
    data.update(changes)
    return data


def test_a_bureau_assistant_without_a_category_is_a_city_organ_post_of_six_months(
    login, org_a, free_cadre, city_organ
):
    """The reported case: 局长助理 got 其他 and twelve months instead of six."""
    response = login(org_a).post(
        reverse("postings:create"), _form(free_cadre, city_organ)
    )
    assert response.status_code == 302, form_errors(response)
    posting = Posting.objects.get(cadre=free_cadre)
    assert posting.category == PostCategory.CITY_ORGAN
    assert DEFAULT_TERMS[PostCategory.CITY_ORGAN] == 6
    assert posting.planned_end_date == add_months(START, 6) == dt.date(2026, 10, 1)


def test_an_unrecognisable_title_without_a_category_is_refused_and_kept(
    login, org_a, free_cadre, city_organ
):
    response = login(org_a).post(
        reverse("postings:create"),
        _form(free_cadre, city_organ, title="综合协调专员", mentor="钱主任"),
    )
    assert response.status_code == 200
    errors = form_errors(response)
    assert "无法根据挂任职务“综合协调专员”和接收单位判断岗位类别" in errors
    assert "请选择岗位类别" in errors
    assert not Posting.objects.filter(cadre=free_cadre).exists()
    body = response.content.decode()
    assert 'value="综合协调专员"' in body and 'value="钱主任"' in body


def test_the_service_asks_when_it_cannot_infer_and_writes_nothing(
    org_a, free_cadre, city_organ
):
    with pytest.raises(ValidationError) as caught:
        services.posting_create(
            by=org_a,
            cadre=free_cadre,
            kind=Posting.Kind.UPWARD,
            sending_unit=free_cadre.unit,
            receiving_unit=city_organ,
            title="综合协调专员",
            start_date=START,
        )
    assert ASK in caught.value.message_dict["category"][0]
    assert not Posting.objects.filter(cadre=free_cadre).exists()


def test_a_category_that_is_chosen_wins_over_the_title(
    login, org_a, free_cadre, city_organ
):
    login(org_a).post(
        reverse("postings:create"),
        _form(free_cadre, city_organ, category=PostCategory.UPWARD_STUDY),
    )
    assert Posting.objects.get(cadre=free_cadre).category == PostCategory.UPWARD_STUDY


def test_the_form_offers_no_category_until_one_is_chosen(login, org_a):
    body = login(org_a).get(reverse("postings:create")).content.decode()
    select = re.search(r'<select name="category".*?</select>', body, re.S).group(0)
    options = re.findall(r"<option[^>]*>", select)
    assert options[0] == '<option value="" selected>'
    assert "请选择" in select
    assert "selected" not in "".join(options[1:])  # 其他 is no longer the default


def test_the_form_brings_the_title_hints_and_the_script_that_suggests(login, org_a):
    body = login(org_a).get(reverse("postings:create")).content.decode()
    assert "data-category-hints=" in body
    assert "局长助理" in body.split("data-category-hints=")[1].split(">")[0]
    assert "js/post_category" in body


def test_clearing_the_category_when_editing_infers_it_again(org_a, tree, world):
    posting = world.a.posting  # 乡镇长助理 at 甲一镇
    services.posting_update(posting=posting, by=org_a, category="")
    posting.refresh_from_db()
    assert posting.category == PostCategory.TOWNSHIP_LEADER


@pytest.mark.parametrize(
    ("title", "unit_kind", "category"),
    [
        ("局长助理", "organ", PostCategory.CITY_ORGAN),
        ("局长助理", "", PostCategory.CITY_ORGAN),
        ("办公室主任助理", "institution", PostCategory.CITY_ORGAN),
        ("县长助理", "region", PostCategory.COUNTY_ASSISTANT),
        ("区长助理", "organ", PostCategory.COUNTY_ASSISTANT),
        ("党委副书记", "township", PostCategory.TOWNSHIP_LEADER),
        ("乡长助理", "township", PostCategory.TOWNSHIP_LEADER),
        ("第一书记", "", PostCategory.VILLAGE),
        ("第一书记", "village", PostCategory.VILLAGE),
        ("主任助理", "village", PostCategory.VILLAGE),  # a village post is one
        ("总经理助理", "enterprise", PostCategory.ENTERPRISE),
        ("跟班学习", "organ", PostCategory.UPWARD_STUDY),
        # Title and unit disagree, or nothing is known: no guess.
        ("局长助理", "township", None),
        ("党委副书记", "enterprise", None),
        ("党委副书记", "", PostCategory.TOWNSHIP_LEADER),  # the title alone
        ("村委会主任助理", "", None),
        ("综合协调专员", "organ", None),
        ("", "organ", None),
    ],
)
def test_the_category_is_inferred_only_where_it_is_certain(title, unit_kind, category):
    assert infer_category(title, unit_kind) == category
