"""The obligations list (issue 17): filterable by kind, state, unit, owed-by
role and due month, scoped; org staff waive an open one with a reason."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cadres.models import Role
from obligations.models import Obligation
from tests.portal.helpers import obligation


def _listed(response) -> set[int]:
    assert response.status_code == 200
    return {
        int(pk)
        for pk in re.findall(r'data-obligation="(\d+)"', response.content.decode())
    }


@pytest.fixture
def mix(world):
    """One obligation in each state on side A, and one on side B."""
    today = timezone.localdate()
    day = dt.timedelta(days=1)
    posting = world.a.posting
    return {
        "open": obligation(posting, due_on=today),
        "overdue": obligation(posting, due_on=today - 3 * day),
        "on_time": obligation(
            posting,
            due_on=today - 10 * day,
            status=Obligation.Status.DONE,
            done_on=today - 10 * day,
        ),
        "late": obligation(
            posting,
            kind="follow_up_visit",
            owed_by=Role.HOME_CONTACT,
            due_on=today - 40 * day,
            status=Obligation.Status.DONE,
            done_on=today - 2 * day,
        ),
        "waived": obligation(
            posting,
            due_on=today - 5 * day,
            status=Obligation.Status.WAIVED,
            waived_by=world.a.posting.created_by,
            waived_reason="病假期间",
            waived_at=timezone.now(),
        ),
        "other_side": obligation(world.b.posting, due_on=today - 3 * day),
    }


def test_each_state_filters_to_its_obligations(login, org_a, mix):
    client = login(org_a)
    url = reverse("obligations:list")
    assert _listed(client.get(url)) == {
        o.pk for key, o in mix.items() if key != "other_side"
    }
    expected = {
        "open": {"open", "overdue"},
        "overdue": {"overdue"},
        "on_time": {"on_time"},
        "late": {"late"},
        "waived": {"waived"},
    }
    for status, keys in expected.items():
        got = _listed(client.get(url, {"status": status}))
        assert got == {mix[k].pk for k in keys}, status


def test_kind_owed_by_unit_and_due_month_filter(login, org_a, mix, world):
    client = login(org_a)
    url = reverse("obligations:list")
    assert _listed(client.get(url, {"kind": "follow_up_visit"})) == {mix["late"].pk}
    assert _listed(client.get(url, {"owed_by": Role.HOME_CONTACT})) == {mix["late"].pk}
    month = mix["late"].due_on.replace(day=1)
    got = _listed(client.get(url, {"due_month": f"{month:%Y-%m}"}))
    assert got == {
        o.pk
        for key, o in mix.items()
        if key != "other_side" and o.due_on.replace(day=1) == month
    }
    assert mix["open"].pk not in got  # due today, 40 days after the visit
    assert _listed(client.get(url, {"unit": world.a.posting.sending_unit.pk})) == {
        mix["late"].pk
    }
    # A value it cannot read is no filter, not an error.
    assert len(_listed(client.get(url, {"due_month": "2026-13", "status": "x"}))) == 5


def test_out_of_scope_obligations_are_never_listed(login, host_b, home_a, mix):
    assert _listed(login(host_b).get(reverse("obligations:list"))) == {
        mix["other_side"].pk
    }
    # The home contact sees side A's obligations (they read its dossier).
    assert mix["other_side"].pk not in _listed(
        login(home_a).get(reverse("obligations:list"))
    )


def test_mine_shows_only_what_the_user_owes(login, host_a, mix):
    got = _listed(login(host_a).get(reverse("obligations:list"), {"mine": "on"}))
    assert got == {mix[k].pk for k in ("open", "overdue", "on_time", "waived")}


def test_org_staff_waive_an_open_obligation_with_a_reason(login, org_a, mix):
    client = login(org_a)
    target = mix["overdue"]
    listing = client.get(reverse("obligations:list")).content.decode()
    assert reverse("obligations:waive", args=[target.pk]) in listing
    response = client.post(
        reverse("obligations:waive", args=[target.pk]),
        {"reason": "  该月借调外出  ", "next": reverse("obligations:list")},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("obligations:list")
    target.refresh_from_db()
    assert target.status == Obligation.Status.WAIVED
    assert target.waived_reason == "该月借调外出"
    assert target.waived_by == org_a
    listed = client.get(reverse("obligations:list"), {"status": "waived"})
    assert target.pk in _listed(listed)
    assert "该月借调外出" in listed.content.decode()


def test_waiving_without_a_reason_writes_nothing(login, org_a, mix):
    target = mix["overdue"]
    response = login(org_a).post(
        reverse("obligations:waive", args=[target.pk]), {"reason": "   "}
    )
    assert response.status_code == 200
    assert "请填写免除理由。" in response.content.decode()
    target.refresh_from_db()
    assert target.status == Obligation.Status.OPEN


def test_waiving_a_done_obligation_is_refused(login, org_a, mix):
    target = mix["on_time"]
    response = login(org_a).post(
        reverse("obligations:waive", args=[target.pk]), {"reason": "补录"}
    )
    assert response.status_code == 200
    target.refresh_from_db()
    assert target.status == Obligation.Status.DONE


def test_waiving_is_for_org_staff_in_scope(login, org_b, host_a, mix):
    target = mix["overdue"]
    url = reverse("obligations:waive", args=[target.pk])
    # A role the policy refuses learns nothing of the object: 404 too.
    assert login(host_a).post(url, {"reason": "x"}).status_code == 404
    assert login(org_b).post(url, {"reason": "x"}).status_code == 404
    target.refresh_from_db()
    assert target.status == Obligation.Status.OPEN


def test_an_outside_next_is_not_followed(login, org_a, mix):
    response = login(org_a).post(
        reverse("obligations:waive", args=[mix["overdue"].pk]),
        {"reason": "理由", "next": "https://example.com/"},
    )
    assert response["Location"] == reverse("obligations:list")


def test_the_region_filter_keeps_the_postings_there(login, org_city, tree, mix):
    client = login(org_city)
    url = reverse("obligations:list")
    assert _listed(client.get(url, {"region": tree.county_b.pk})) == {
        mix["other_side"].pk
    }
    assert len(_listed(client.get(url, {"region": tree.county_a.pk}))) == 5


def test_the_form_is_offered_only_to_those_who_owe_it(login, host_a, home_a, mix):
    form_url = reverse("cadres:note_create", args=[mix["overdue"].posting_id])
    assert form_url in login(host_a).get(reverse("obligations:list")).content.decode()
    # The home contact reads the host's notes but does not file them.
    assert (
        form_url not in login(home_a).get(reverse("obligations:list")).content.decode()
    )
