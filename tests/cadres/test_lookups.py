"""Lookup fields: a unit or cadre is typed, not picked from thousands of options.

The suggestions come from the same scoped querysets the forms validate
against, so nothing out of scope is ever suggested or accepted.
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from postings.forms import NominationForm, PostingFilterForm
from postings.models import Batch, Nomination
from tests.conftest import CADRE_A_NAME, CADRE_B_NAME
from tests.factories import CadreFactory, UnitFactory

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
