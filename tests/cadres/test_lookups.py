"""Lookup fields: a unit or cadre is typed, not picked from thousands of options.

The suggestions come from the same scoped querysets the forms validate
against, so nothing out of scope is ever suggested or accepted.
"""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from cadres import idcard
from cadres.models import Cadre, Rank
from postings.forms import NominationForm, PostingFilterForm
from postings.models import (
    DEFAULT_TERMS,
    Assignment,
    Batch,
    Nomination,
    PostCategory,
    Posting,
)
from tests.conftest import CADRE_A_NAME, CADRE_B_NAME
from tests.factories import CadreFactory, PostingFactory, UnitFactory

LOOKUP = reverse("cadres:lookup")


def _suggested(client, source, typed) -> str:
    response = client.get(LOOKUP, {"source": source, "field": "x", "x": typed})
    assert response.status_code == 200
    return response.content.decode()


def test_cadre_suggestions_hold_only_cadres_in_scope(login, org_a, world):
    client = login(org_a)
    assert f"{CADRE_A_NAME}（" in _suggested(client, "cadres", CADRE_A_NAME[:2])
    for typed in (CADRE_B_NAME, CADRE_B_NAME[:2], CADRE_B_NAME[-1]):
        assert CADRE_B_NAME not in _suggested(client, "cadres", typed)


def test_jurisdiction_suggestions_stay_inside_it_and_any_unit_is_offered_for_hosts(
    login, org_a, tree
):
    client = login(org_a)
    assert "甲县财政局（甲县）" in _suggested(client, "jurisdiction", "财政")
    assert "乙县" not in _suggested(client, "jurisdiction", "乙")
    # Outward postings leave the jurisdiction: any unit may receive.
    assert "乙一镇（乙县）" in _suggested(client, "units", "乙一")


def test_at_most_twenty_suggestions_and_none_for_an_unknown_source(login, org_a, tree):
    for n in range(25):
        CadreFactory(name=f"同姓{n:02d}", unit=tree.organ_a)
    client = login(org_a)
    assert _suggested(client, "cadres", "同姓").count("<option") == 20
    assert _suggested(client, "passwords", "同姓") == ""
    assert _suggested(client, "cadres", "") == ""


def test_only_org_staff_and_the_admin_may_ask_for_suggestions(login, host_a, world):
    assert login(host_a).get(LOOKUP, {"source": "cadres"}).status_code == 403


def _nomination_form(user, typed):
    return NominationForm({"cadre": typed, "source": "self"}, user=user)


def test_a_cadre_is_taken_by_name_by_suggestion_or_by_number(org_a, world):
    cadre = world.a.cadre
    label = NominationForm(user=org_a).fields["cadre"].label_from_instance(cadre)
    for typed in (cadre.name, label, f"{label} #{cadre.pk}", str(cadre.pk)):
        form = _nomination_form(org_a, typed)
        assert form.is_valid(), (typed, form.errors)
        assert form.cleaned_data["cadre"] == cadre


@pytest.mark.parametrize("how", ["name", "number", "suggestion"])
def test_a_cadre_out_of_scope_is_an_invalid_choice(org_a, world, how):
    cadre = world.b.cadre
    typed = {
        "name": cadre.name,
        "number": str(cadre.pk),
        "suggestion": f"{cadre.name}（{cadre.unit.name}） #{cadre.pk}",
    }[how]
    form = _nomination_form(org_a, typed)
    assert not form.is_valid()
    assert form.errors["cadre"] == ["选择一个有效的选项： 该选择不在可用的选项中。"]


def test_two_cadres_of_one_name_need_the_suggestion(org_a, tree):
    first = CadreFactory(name="张同名", unit=tree.organ_a)
    CadreFactory(name="张同名", unit=UnitFactory(parent=tree.county_a))
    form = _nomination_form(org_a, "张同名")
    assert not form.is_valid()
    assert "有多个同名的选项" in form.errors["cadre"][0]
    label = form.fields["cadre"].label_from_instance(first)
    assert _nomination_form(org_a, label).is_valid()


def test_a_refused_nomination_writes_nothing_and_says_why(login, org_a, tree, world):
    batch = Batch.objects.create(
        name="甲县批次",
        year=2026,
        unit=tree.county_a,
        kinds=["downward"],
        created_by=org_a,
    )
    response = login(org_a).post(
        reverse("postings:nomination_add", args=[batch.pk]),
        {"cadre": CADRE_B_NAME, "source": "self"},
    )
    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("该选择不在可用的选项中" in m for m in messages)
    assert not Nomination.objects.exists()


def test_the_region_filter_takes_a_typed_name_and_keeps_it(login, org_a, world):
    form = PostingFilterForm({"region": "甲一镇"}, user=org_a)
    assert form.is_valid()
    assert form.cleaned_data["region"].name == "甲一镇"
    body = login(org_a).get(reverse("postings:list"), {"region": "甲一镇"}).content
    body = body.decode()
    assert 'name="region" value="甲一镇"' in body
    assert CADRE_A_NAME in body


def test_a_unit_given_by_number_shows_as_its_name(login, org_a, tree, world):
    url = reverse("postings:create") + f"?receiving_unit={tree.township_a1.pk}"
    body = login(org_a).get(url).content.decode()
    assert 'value="甲一镇（甲县）"' in body


# --- Relay predecessors and unit fields: lookups, not <select>s -----------------

INVALID_CHOICE = "选择一个有效的选项： 该选择不在可用的选项中。"
NEW_CADRE_NUMBER = idcard.make("320581", dt.date(1988, 3, 14), 37, "F")


def _option_count(client, url) -> int:
    body = client.get(url).content.decode()
    return body.count("<option")


@pytest.mark.parametrize(
    ("user", "url", "field"),
    [
        ("org_a", "postings:create", "predecessor"),
        ("org_a", "postings:create", "sending_unit"),
        ("org_a", "cadres:create", "unit"),
        ("admin", "postings:batch_create", "unit"),
        ("org_a", "postings:assignment_add", "unit"),
    ],
)
def test_forms_list_no_option_per_posting_or_unit(
    request, login, tree, world, user, url, field
):
    client = login(request.getfixturevalue(user))
    args = [world.a.posting.pk] if url == "postings:assignment_add" else []
    url = reverse(url, args=args)
    before = _option_count(client, url)
    for n in range(5):
        unit = UnitFactory(name=f"新增单位{n}", parent=tree.county_a)
        PostingFactory(
            cadre=CadreFactory(unit=tree.organ_a),
            receiving_unit=unit,
            status=Posting.Status.COMPLETED,
        )
    body = client.get(url).content.decode()
    assert body.count("<option") == before
    assert "新增单位" not in body
    assert f'<input type="text" name="{field}"' in body
    assert f'<select name="{field}"' not in body


@pytest.fixture
def finished(tree):
    return PostingFactory(
        cadre=CadreFactory(name="上官前任", unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=dt.date(2024, 3, 1),
        status=Posting.Status.COMPLETED,
    )


def _posting_data(cadre, tree, **changes) -> dict:
    return {
        "cadre": cadre.pk,
        "kind": "downward",
        "sending_unit": tree.organ_a.pk,
        "receiving_unit": tree.township_a1.pk,
        "title": "乡镇长助理",
        "category": PostCategory.TOWNSHIP_LEADER,
        "start_date": "2026-01-01",
        "planned_end_date": "2027-01-01",
        **changes,
    }


def test_a_predecessor_is_suggested_by_its_cadres_name_and_saved(
    login, org_a, tree, world, finished
):
    client = login(org_a)
    label = "上官前任 · 甲一镇 乡镇长助理（2024-03-01）"
    assert label in _suggested(client, "postings", "上官")
    assert CADRE_B_NAME not in _suggested(client, "postings", CADRE_B_NAME)
    cadre = CadreFactory(name="周新来", unit=tree.organ_a, rank=Rank.SECTION)
    response = client.post(
        reverse("postings:create"),
        _posting_data(cadre, tree, predecessor=label),
    )
    assert response.status_code == 302
    assert Posting.objects.get(cadre=cadre).predecessor == finished


@pytest.mark.parametrize("how", ["number", "suggestion", "name"])
def test_a_predecessor_out_of_scope_is_refused_and_nothing_written(
    login, org_a, tree, world, how
):
    other = world.b.posting
    typed = {
        "number": str(other.pk),
        "suggestion": f"{CADRE_B_NAME} · 乙一镇 乡镇长助理 #{other.pk}",
        "name": CADRE_B_NAME,
    }[how]
    cadre = CadreFactory(name="周新来", unit=tree.organ_a, rank=Rank.SECTION)
    response = login(org_a).post(
        reverse("postings:create"), _posting_data(cadre, tree, predecessor=typed)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["predecessor"] == [INVALID_CHOICE]
    assert not Posting.objects.filter(cadre=cadre).exists()


def test_a_refused_posting_shows_the_chosen_predecessor_again(
    login, org_a, tree, finished
):
    cadre = CadreFactory(name="周新来", unit=tree.organ_a, rank=Rank.SECTION)
    data = _posting_data(cadre, tree, predecessor=finished.pk, title="")
    response = login(org_a).post(reverse("postings:create"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="上官前任 · 甲一镇 乡镇长助理（2024-03-01）"' in body
    assert not Posting.objects.filter(cadre=cadre).exists()


def _cadre_data(unit) -> dict:
    return {
        "name": "林晓雯",
        "id_number": NEW_CADRE_NUMBER,
        "gender": "F",
        "birth_date": "1988-03-14",
        "unit": unit,
        "position": "科员",
        "rank": Rank.DEPUTY_SECTION,
    }


def test_a_cadres_unit_is_typed_and_saved(login, org_a, tree):
    response = login(org_a).post(
        reverse("cadres:create"), _cadre_data("甲县财政局（甲县）")
    )
    assert response.status_code == 302
    assert Cadre.objects.get(id_number=NEW_CADRE_NUMBER).unit == tree.organ_a


@pytest.mark.parametrize("how", ["number", "name"])
def test_a_cadres_unit_outside_the_jurisdiction_is_refused(login, org_a, tree, how):
    typed = str(tree.organ_b.pk) if how == "number" else tree.organ_b.name
    response = login(org_a).post(reverse("cadres:create"), _cadre_data(typed))
    assert response.status_code == 200
    assert response.context["form"].errors["unit"] == [INVALID_CHOICE]
    unit_input = re.search(r'<input[^>]*name="unit"[^>]*>', response.content.decode())
    assert f'value="{typed}"' in unit_input.group(0)  # the input is kept as typed
    assert not Cadre.objects.filter(id_number=NEW_CADRE_NUMBER).exists()


def test_an_assignment_unit_is_typed_and_saved(login, org_a, tree, world):
    posting = world.a.posting
    response = login(org_a).post(
        reverse("postings:assignment_add", args=[posting.pk]),
        {
            "kind": Assignment.Kind.CONCURRENT,
            "unit": "甲一村",
            "title": "第一书记",
            "start_date": posting.start_date + dt.timedelta(days=30),
            "end_date": "",
        },
    )
    assert response.status_code == 302
    assert posting.assignments.get().unit == tree.village_a1


def test_the_admin_types_a_batchs_unit(login, admin, tree):
    data = {
        "name": "2026年第一批上派下挂",
        "year": 2026,
        "unit": "甲县",
        "kinds": ["downward"],
        "planned_count": 12,
        "mobilised_on": "2026-03-01",
        "exam_weight": 60,
        "notes": "",
        **{f"term_{c}": DEFAULT_TERMS[c] for c in PostCategory.values},
    }
    response = login(admin).post(reverse("postings:batch_create"), data)
    assert response.status_code == 302
    assert Batch.objects.get().unit == tree.county_a
    data["unit"] = "不存在的单位"
    response = login(admin).post(reverse("postings:batch_create"), data)
    assert response.context["form"].errors["unit"] == [INVALID_CHOICE]
    assert Batch.objects.count() == 1
