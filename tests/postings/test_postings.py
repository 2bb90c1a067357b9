"""Creating and editing postings: rule 1, dates, jurisdiction, the mid-term date."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from postings import services
from postings.models import Posting, midpoint
from postings.services import ACTIVE_CONFLICT
from tests.conftest import form_errors
from tests.factories import CadreFactory, PostingFactory, UnitFactory


def _form(cadre, sending, receiving, **changes) -> dict:
    data = {
        "cadre": cadre.pk,
        "kind": "downward",
        "sending_unit": sending.pk,
        "receiving_unit": receiving.pk,
        "title": "乡镇长助理",
        "start_date": "2026-01-01",
        "planned_end_date": "2027-01-01",
        "status": "active",
    }
    data.update(changes)
    return data


@pytest.fixture
def free_cadre(tree):
    """A county-A cadre with no posting yet."""
    return CadreFactory(name="周新来", unit=tree.organ_a)


def test_org_staff_creates_a_posting_through_the_form(login, org_a, tree, free_cadre):
    response = login(org_a).post(
        reverse("postings:create"),
        _form(free_cadre, tree.organ_a, tree.township_a1),
    )
    posting = Posting.objects.get(cadre=free_cadre)
    assert response.status_code == 302
    assert response["Location"] == posting.get_absolute_url()
    assert posting.status == Posting.Status.ACTIVE
    assert posting.created_by == org_a
    assert (posting.start_date, posting.planned_end_date) == (
        dt.date(2026, 1, 1),
        dt.date(2027, 1, 1),
    )


def test_the_midterm_date_is_computed_and_stored(login, org_a, tree, free_cadre):
    login(org_a).post(
        reverse("postings:create"),
        _form(free_cadre, tree.organ_a, tree.township_a1),
    )
    stored = Posting.objects.values_list("midterm_date", flat=True).get(
        cadre=free_cadre
    )
    assert stored == dt.date(2026, 7, 2)


@pytest.mark.parametrize(
    ("start", "end", "midterm"),
    [
        (dt.date(2026, 1, 1), dt.date(2027, 1, 1), dt.date(2026, 7, 2)),
        (dt.date(2026, 3, 1), dt.date(2026, 9, 1), dt.date(2026, 6, 1)),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 3), dt.date(2026, 1, 2)),
        (dt.date(2025, 9, 1), dt.date(2028, 9, 1), dt.date(2027, 3, 3)),
    ],
)
def test_midpoint_of_a_term(start, end, midterm):
    assert midpoint(start, end) == midterm


def test_editing_the_dates_moves_the_stored_midterm_date(login, org_a, world):
    posting = world.a.posting
    data = _form(
        posting.cadre,
        posting.sending_unit,
        posting.receiving_unit,
        start_date="2026-03-01",
        planned_end_date="2026-09-01",
        title="党委副书记",
    )
    response = login(org_a).post(reverse("postings:edit", args=[posting.pk]), data)
    assert response.status_code == 302
    posting.refresh_from_db()
    assert posting.title == "党委副书记"
    assert posting.midterm_date == dt.date(2026, 6, 1)


def test_a_second_active_posting_for_a_cadre_is_refused_by_the_form(
    login, org_a, tree, world
):
    cadre = world.a.cadre
    response = login(org_a).post(
        reverse("postings:create"),
        _form(cadre, tree.organ_a, tree.village_a1, title="第一书记"),
    )
    assert response.status_code == 200
    assert ACTIVE_CONFLICT in form_errors(response)
    assert "同一时间只能有一项在岗挂职" in ACTIVE_CONFLICT
    assert Posting.objects.filter(cadre=cadre).count() == 1


def test_a_second_active_posting_is_refused_when_editing_one_into_active(
    login, org_a, tree, world
):
    cadre = world.a.cadre
    proposed = PostingFactory(
        cadre=cadre,
        sending_unit=tree.organ_a,
        receiving_unit=tree.village_a1,
        status=Posting.Status.PROPOSED,
    )
    data = _form(cadre, tree.organ_a, tree.village_a1, status="active")
    response = login(org_a).post(reverse("postings:edit", args=[proposed.pk]), data)
    assert ACTIVE_CONFLICT in form_errors(response)
    proposed.refresh_from_db()
    assert proposed.status == Posting.Status.PROPOSED


def test_the_database_refuses_a_second_active_posting(tree, world):
    first = world.a.posting
    second = Posting(
        cadre=first.cadre,
        kind=Posting.Kind.UPWARD,
        sending_unit=tree.organ_a,
        receiving_unit=tree.county_a,
        title="局长助理",
        start_date=dt.date(2026, 1, 1),
        planned_end_date=dt.date(2026, 7, 1),
        status=Posting.Status.ACTIVE,
        created_by=first.created_by,
    )
    second.set_midterm_date()
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()  # no service, no form: only the partial unique index
    assert Posting.objects.filter(cadre=first.cadre).count() == 1
    # The same row as proposed is fine: the rule is about postings in progress.
    second.status = Posting.Status.PROPOSED
    second.save()
    assert Posting.objects.filter(cadre=first.cadre).count() == 2


def test_the_service_refuses_a_second_active_posting(org_a, tree, world):
    with pytest.raises(ValidationError) as caught:
        services.posting_create(
            by=org_a,
            cadre=world.a.cadre,
            kind=Posting.Kind.DOWNWARD,
            sending_unit=tree.organ_a,
            receiving_unit=tree.village_a1,
            title="第一书记",
            start_date=dt.date(2026, 1, 1),
            planned_end_date=dt.date(2027, 1, 1),
            status=Posting.Status.ACTIVE,
        )
    assert caught.value.message_dict["status"] == [ACTIVE_CONFLICT]


def test_an_end_before_the_start_is_refused(login, org_a, tree, free_cadre):
    for end in ("2025-12-31", "2026-01-01"):
        response = login(org_a).post(
            reverse("postings:create"),
            _form(free_cadre, tree.organ_a, tree.township_a1, planned_end_date=end),
        )
        assert response.status_code == 200
        assert "计划结束日期必须晚于开始日期。" in form_errors(response)
    assert not Posting.objects.filter(cadre=free_cadre).exists()


def test_the_database_refuses_an_end_before_the_start(org_a, tree, free_cadre):
    posting = Posting(
        cadre=free_cadre,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
        title="乡镇长助理",
        start_date=dt.date(2026, 6, 1),
        planned_end_date=dt.date(2026, 1, 1),
        midterm_date=dt.date(2026, 3, 1),
        created_by=org_a,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        posting.save()


def test_org_staff_cannot_post_between_two_units_outside_their_jurisdiction(
    login, org_a, tree, free_cadre
):
    response = login(org_a).post(
        reverse("postings:create"),
        _form(free_cadre, tree.organ_b, tree.township_b1),
    )
    assert response.status_code == 200
    assert "派出单位或接收单位至少有一个须在本部门管辖范围内。" in form_errors(response)
    assert not Posting.objects.exists()


def test_org_staff_may_post_out_of_their_jurisdiction_from_inside_it(
    login, org_a, tree, free_cadre
):
    shenzhen = UnitFactory(name="深圳市南山区科技局", kind="organ")
    response = login(org_a).post(
        reverse("postings:create"),
        _form(free_cadre, tree.organ_a, shenzhen, kind="outward"),
    )
    assert response.status_code == 302
    assert Posting.objects.get(cadre=free_cadre).receiving_unit == shenzhen


def test_the_receiving_unit_cannot_be_the_sending_unit(login, org_a, tree, free_cadre):
    response = login(org_a).post(
        reverse("postings:create"),
        _form(free_cadre, tree.organ_a, tree.organ_a),
    )
    assert "接收单位不能与派出单位相同。" in form_errors(response)
    assert not Posting.objects.exists()


def test_org_staff_cannot_post_a_cadre_outside_their_scope(login, org_a, tree):
    outsider = CadreFactory(unit=tree.organ_b)
    response = login(org_a).post(
        reverse("postings:create"),
        _form(outsider, tree.organ_a, tree.township_a1),
    )
    assert response.status_code == 200
    assert "cadre" in response.context["form"].errors
    assert not Posting.objects.exists()


def test_host_leader_cannot_create_or_edit_postings(login, host_a, world):
    client = login(host_a)
    assert client.get(reverse("postings:create")).status_code == 403
    edit = reverse("postings:edit", args=[world.a.posting.pk])
    assert client.post(edit, {"title": "改过"}).status_code == 404
    world.a.posting.refresh_from_db()
    assert world.a.posting.title == "乡镇长助理"


def test_the_create_form_is_prefilled_from_the_cadre_page(login, org_a, world):
    cadre = world.a.cadre
    url = reverse("postings:create") + f"?cadre={cadre.pk}&sending_unit={cadre.unit_id}"
    form = login(org_a).get(url).context["form"]
    assert str(form.initial["cadre"]) == str(cadre.pk)
    assert str(form.initial["sending_unit"]) == str(cadre.unit_id)
