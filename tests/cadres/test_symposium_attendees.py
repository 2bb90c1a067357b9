"""座谈会 attendees are typed and picked, not ticked in a list of every posting.

The suggestions and the check on save use the same choices: the postings in
the user's scope that have begun (for a host leader, those the host-write rule
lets them write on, i.e. active), so nothing else is offered or accepted.
"""

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from postings.models import Posting
from records.models import Symposium
from tests.conftest import CADRE_A_NAME, CADRE_B_NAME, form_errors
from tests.factories import CadreFactory, PostingFactory

URL = reverse("cadres:symposium_create")
REFUSED = "不是可选的参会挂职"


def _data(**attendees) -> dict:
    return {
        "held_on": timezone.localdate().isoformat(),
        "title": "挂职干部座谈会",
        "host": "甲一镇党委",
        "minutes": "交流挂职体会。",
        **attendees,
    }


def _chips(html: str) -> list[str]:
    """The posting ids the page carries as chosen attendees."""
    return re.findall(r'<input type="hidden" name="attendees" value="(\d+)"', html)


def _suggested(client, typed: str) -> str:
    response = client.get(URL, {"suggest": "attendees", "attendees": typed})
    assert response.status_code == 200
    return response.content.decode()


def test_an_attendee_out_of_scope_is_refused_and_nothing_is_written(
    login, host_a, world
):
    response = login(host_a).post(
        URL, _data(attendees=[world.a.posting.pk, world.b.posting.pk])
    )
    assert response.status_code == 200
    assert REFUSED in form_errors(response)
    assert not Symposium.objects.exists()
    # The input is kept: the attendee in scope is still chosen, the title too.
    html = response.content.decode()
    assert _chips(html) == [str(world.a.posting.pk)]
    assert 'value="挂职干部座谈会"' in html
    assert CADRE_B_NAME not in html


def test_the_form_carries_no_list_of_the_postings_in_scope(login, org_a, tree):
    for n in range(30):
        PostingFactory(
            cadre=CadreFactory(name=f"郗某{n:02d}", unit=tree.organ_a),
            receiving_unit=tree.township_a1,
        )
    html = login(org_a).get(URL).content.decode()
    # The search box and the empty chip its script copies, no list of 30.
    assert html.count('name="attendees"') == 2
    assert _chips(html) == []
    assert "郗某" not in html
    assert 'type="checkbox"' not in html


def test_a_posting_from_the_dossier_comes_chosen(login, org_a, world):
    html = login(org_a).get(URL, {"posting": world.a.posting.pk}).content.decode()
    assert _chips(html) == [str(world.a.posting.pk)]
    assert CADRE_A_NAME in html


def test_suggestions_hold_only_the_postings_the_user_may_choose(
    login, host_a, org_a, world, tree
):
    ended = PostingFactory(
        cadre=CadreFactory(name=f"{CADRE_A_NAME[:2]}旧任", unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=dt.date(2023, 1, 1),
        status=Posting.Status.COMPLETED,
    )
    proposed = PostingFactory(
        cadre=CadreFactory(name=f"{CADRE_A_NAME[:2]}拟派", unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        status=Posting.Status.PROPOSED,
    )
    host = _suggested(login(host_a), CADRE_A_NAME[:2])
    assert f'data-pk="{world.a.posting.pk}"' in host
    # A host leader writes only on active postings; nobody on proposed ones.
    assert f'data-pk="{ended.pk}"' not in host
    assert f'data-pk="{proposed.pk}"' not in host
    org = _suggested(login(org_a), CADRE_A_NAME[:2])
    assert f'data-pk="{ended.pk}"' in org
    assert f'data-pk="{proposed.pk}"' not in org
    assert CADRE_B_NAME not in _suggested(login(org_a), CADRE_B_NAME)
    # What is refused on save is never suggested either.
    response = login(host_a).post(URL, _data(attendees=[ended.pk]))
    assert REFUSED in form_errors(response)
    assert not Symposium.objects.exists()


def test_names_typed_without_javascript_are_taken(login, org_city, world):
    response = login(org_city).post(
        URL, _data(attendees=[f"{CADRE_A_NAME}、{CADRE_B_NAME}"])
    )
    assert response.status_code == 302
    symposium = Symposium.objects.get()
    assert set(symposium.attendees.all()) == {world.a.posting, world.b.posting}


def test_an_unknown_name_is_refused_and_stays_in_the_box(login, org_a, world):
    response = login(org_a).post(
        URL, _data(attendees=[str(world.a.posting.pk), "查无此人"])
    )
    assert response.status_code == 200
    assert "“查无此人”" in form_errors(response)
    html = response.content.decode()
    assert 'value="查无此人"' in html
    assert _chips(html) == [str(world.a.posting.pk)]
    assert not Symposium.objects.exists()


def test_a_symposium_needs_an_attendee(login, org_a, world):
    response = login(org_a).post(URL, _data(attendees=[""]))
    assert response.status_code == 200
    assert form_errors(response)
    assert not Symposium.objects.exists()


def test_a_posting_picked_twice_or_typed_as_a_suggestion_counts_once(
    login, org_a, world
):
    posting = world.a.posting
    label = f"{CADRE_A_NAME} · 甲一镇 {posting.title}（{posting.start_date}）"
    response = login(org_a).post(
        URL, _data(attendees=[posting.pk, str(posting.pk), label])
    )
    assert response.status_code == 302
    assert list(Symposium.objects.get().attendees.all()) == [posting]


def test_a_name_two_postings_share_is_refused_by_name(login, org_a, world, tree):
    PostingFactory(
        cadre=CadreFactory(name=CADRE_A_NAME, unit=tree.organ_a),
        receiving_unit=tree.village_a1,
    )
    response = login(org_a).post(URL, _data(attendees=[CADRE_A_NAME]))
    assert f"“{CADRE_A_NAME}”有多个同名的选项" in form_errors(response)
    assert not Symposium.objects.exists()
    # The suggestions tell the two apart, and one picked is taken.
    options = _suggested(login(org_a), CADRE_A_NAME)
    values = re.findall(r'<option value="([^"]+)"', options)
    assert len(set(values)) == 2
    response = login(org_a).post(URL, _data(attendees=[values[0]]))
    assert response.status_code == 302
    assert Symposium.objects.get().attendees.count() == 1
