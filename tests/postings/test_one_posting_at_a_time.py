"""Rule 1 (DOMAIN.md): one cadre, one posting at a time.

A proposed (拟派) or active (在岗) posting may not overlap in time another
proposed or active posting of the same cadre, wherever it is asked: the posting
forms, the placement assistant, the transitions and extensions. A refusal names
the other posting: cadre, receiving unit, title and dates. Ended postings do
not count.
"""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cadres.models import Rank
from postings import services
from postings.models import Batch, Nomination, OpenPost, PostCategory, Posting
from tests.conftest import form_errors
from tests.factories import CadreFactory, PostingFactory

TODAY = timezone.localdate()
START = TODAY + dt.timedelta(days=30)
END = START + dt.timedelta(days=365)


def _day(date: dt.date) -> str:
    return f"{date:%Y-%m-%d}"


@pytest.fixture
def cadre(tree):
    return CadreFactory(name="周新来", unit=tree.organ_a, rank=Rank.SECTION)


@pytest.fixture
def first(org_a, tree, cadre):
    """The cadre's first proposal: 甲一镇 乡镇长助理 for a year from START."""
    return services.posting_create(
        by=org_a,
        cadre=cadre,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
        title="乡镇长助理",
        category=PostCategory.TOWNSHIP_LEADER,
        start_date=START,
        planned_end_date=END,
    )


def _form(cadre, tree, **changes) -> dict:
    data = {
        "cadre": cadre.pk,
        "kind": "downward",
        "sending_unit": tree.organ_a.pk,
        "receiving_unit": tree.village_a1.pk,
        "title": "第一书记",
        "category": PostCategory.VILLAGE,
        "start_date": _day(START + dt.timedelta(days=180)),
        "planned_end_date": _day(END + dt.timedelta(days=180)),
    }
    data.update(changes)
    return data


def _names_the_first(message: str) -> None:
    for part in ("周新来", "甲一镇", "乡镇长助理", _day(START), _day(END)):
        assert part in message, (part, message)


def test_a_second_overlapping_proposal_through_the_form_is_refused_naming_the_first(
    login, org_a, tree, cadre, first
):
    response = login(org_a).post(reverse("postings:create"), _form(cadre, tree))
    assert response.status_code == 200
    [message] = response.context["form"].errors["cadre"]
    _names_the_first(message)
    assert "拟派" in message
    assert message in form_errors(response)  # shown on the page
    assert list(Posting.objects.filter(cadre=cadre)) == [first]
    # The form keeps what was typed.
    assert response.context["form"]["title"].value() == "第一书记"


def test_two_overlapping_proposals_in_one_batch_are_refused(login, org_a, tree, cadre):
    batch = Batch.objects.create(
        name="甲县2026年批次",
        year=2026,
        unit=tree.county_a,
        kinds=["downward"],
        created_by=org_a,
    )
    client = login(org_a)
    client.post(
        reverse("postings:create"),
        _form(cadre, tree, batch=batch.pk, receiving_unit=tree.township_a1.pk),
    )
    assert Posting.objects.filter(cadre=cadre, batch=batch).count() == 1
    response = client.post(
        reverse("postings:create"), _form(cadre, tree, batch=batch.pk)
    )
    assert "甲一镇" in response.context["form"].errors["cadre"][0]
    assert Posting.objects.filter(cadre=cadre, batch=batch).count() == 1


def test_editing_a_proposal_onto_another_is_refused(login, org_a, tree, cadre, first):
    later = services.posting_create(
        by=org_a,
        cadre=cadre,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=tree.organ_a,
        receiving_unit=tree.village_a1,
        title="第一书记",
        category=PostCategory.VILLAGE,
        start_date=END,
        planned_end_date=END + dt.timedelta(days=365),
    )
    response = login(org_a).post(
        reverse("postings:edit", args=[later.pk]),
        _form(cadre, tree, start_date=_day(END - dt.timedelta(days=1))),
    )
    _names_the_first(response.context["form"].errors["cadre"][0])
    later.refresh_from_db()
    assert later.start_date == END


def test_a_proposal_overlapping_an_active_posting_is_refused(org_a, tree, world):
    active = world.a.posting
    with pytest.raises(ValidationError) as caught:
        services.posting_create(
            by=org_a,
            cadre=active.cadre,
            kind=Posting.Kind.DOWNWARD,
            sending_unit=tree.organ_a,
            receiving_unit=tree.village_a1,
            title="第一书记",
            start_date=TODAY,
            planned_end_date=TODAY + dt.timedelta(days=365),
        )
    [message] = caught.value.message_dict["cadre"]
    assert active.cadre.name in message
    assert "甲一镇" in message and "在岗" in message
    assert _day(active.start_date) in message
    assert _day(active.planned_end_date) in message
    assert Posting.objects.filter(cadre=active.cadre).count() == 1


def test_proposals_that_do_not_overlap_are_accepted(org_a, tree, cadre, first):
    """Back to back (one ends the day the next starts) and later ones."""
    for start in (END, END + dt.timedelta(days=400)):
        services.posting_create(
            by=org_a,
            cadre=cadre,
            kind=Posting.Kind.DOWNWARD,
            sending_unit=tree.organ_a,
            receiving_unit=tree.village_a1,
            title="第一书记",
            start_date=start,
            planned_end_date=start + dt.timedelta(days=200),
        )
    earlier = START - dt.timedelta(days=200)
    services.posting_create(
        by=org_a,
        cadre=cadre,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
        title="乡镇长助理",
        start_date=earlier,
        planned_end_date=START,
    )
    assert Posting.objects.filter(cadre=cadre).count() == 4


def test_another_cadres_posting_does_not_count(org_a, tree, first):
    other = CadreFactory(unit=tree.organ_a)
    made = services.posting_create(
        by=org_a,
        cadre=other,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=tree.organ_a,
        receiving_unit=tree.village_a1,
        title="第一书记",
        start_date=START,
        planned_end_date=END,
    )
    assert made.status == Posting.Status.PROPOSED


@pytest.mark.parametrize(
    "status", [Posting.Status.COMPLETED, Posting.Status.ENDED_EARLY]
)
def test_ended_postings_do_not_count(login, org_a, tree, cadre, status):
    PostingFactory(
        cadre=cadre,
        receiving_unit=tree.township_a1,
        start_date=START,
        planned_end_date=END,
        status=status,
    )
    response = login(org_a).post(reverse("postings:create"), _form(cadre, tree))
    assert response.status_code == 302
    assert Posting.objects.filter(cadre=cadre, status="proposed").count() == 1


def test_the_rule_is_one_function_that_names_the_other_posting(org_a, tree, first):
    """What the import and any other caller ask (it saves nothing)."""
    candidate = Posting(
        cadre=first.cadre,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=tree.organ_a,
        receiving_unit=tree.village_a1,
        title="第一书记",
        start_date=END - dt.timedelta(days=1),
        planned_end_date=END + dt.timedelta(days=100),
        status=Posting.Status.PROPOSED,
    )
    _names_the_first(services.one_posting_at_a_time(candidate))
    candidate.start_date = END
    assert services.one_posting_at_a_time(candidate) == ""
    # A posting never conflicts with itself.
    assert services.one_posting_at_a_time(first) == ""


# --- Transitions and extensions ---------------------------------------------------


def test_activation_beside_an_active_posting_is_refused_naming_it(org_a, tree, world):
    """A proposal that overlaps an active posting (made before the rule, or
    by the database directly) cannot be activated; the message names it."""
    active = world.a.posting
    second = PostingFactory(
        cadre=active.cadre,
        receiving_unit=tree.village_a1,
        title="第一书记",
        start_date=TODAY,
        status=Posting.Status.PROPOSED,
    )
    with pytest.raises(ValidationError) as caught:
        services.posting_transition(
            posting=second, action="activate", on=TODAY, by=org_a
        )
    [message] = caught.value.message_dict["cadre"]
    assert active.cadre.name in message and "甲一镇" in message
    assert _day(active.planned_end_date) in message
    second.refresh_from_db()
    assert second.status == Posting.Status.PROPOSED


def test_activation_is_refused_while_an_earlier_posting_is_still_in_post(
    org_a, tree, cadre
):
    """No overlap in the plan, but the earlier posting was never ended."""
    overdue = PostingFactory(
        cadre=cadre,
        receiving_unit=tree.township_a1,
        title="乡镇长助理",
        start_date=TODAY - dt.timedelta(days=400),
        planned_end_date=TODAY - dt.timedelta(days=35),
        status=Posting.Status.ACTIVE,
    )
    nxt = services.posting_create(
        by=org_a,
        cadre=cadre,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=tree.organ_a,
        receiving_unit=tree.village_a1,
        title="第一书记",
        start_date=TODAY - dt.timedelta(days=30),
        planned_end_date=TODAY + dt.timedelta(days=300),
    )
    with pytest.raises(ValidationError) as caught:
        services.posting_transition(posting=nxt, action="activate", on=TODAY, by=org_a)
    [message] = caught.value.message_dict["cadre"]
    assert "甲一镇" in message and _day(overdue.start_date) in message
    assert "仍在岗" in message
    nxt.refresh_from_db()
    assert nxt.status == Posting.Status.PROPOSED


def test_an_extension_onto_the_next_proposal_is_refused(org_a, tree, cadre, first):
    nxt = services.posting_create(
        by=org_a,
        cadre=cadre,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=tree.organ_a,
        receiving_unit=tree.village_a1,
        title="第一书记",
        start_date=END,
        planned_end_date=END + dt.timedelta(days=365),
    )
    with pytest.raises(ValidationError) as caught:
        services.posting_extend(
            posting=first,
            new_end_date=END + dt.timedelta(days=90),
            reason="工作需要",
            approver="县委组织部",
            by=org_a,
        )
    [message] = caught.value.message_dict["new_end_date"]
    assert "甲一村" in message and _day(nxt.start_date) in message
    first.refresh_from_db()
    assert first.planned_end_date == END
    assert not first.extensions.exists()


# --- The placement assistant ------------------------------------------------------


@pytest.fixture
def batch(tree, org_a):
    return Batch.objects.create(
        name="甲县2026年第二批下派",
        year=2026,
        unit=tree.county_a,
        kinds=["downward"],
        mobilised_on=START,
        created_by=org_a,
    )


@pytest.fixture
def village_post(batch, tree, cadre):
    Nomination.objects.create(
        batch=batch,
        cadre=cadre,
        source=Nomination.Source.SELF,
        decision=Nomination.Decision.SELECTED,
    )
    return OpenPost.objects.create(
        batch=batch,
        receiving_unit=tree.village_a1,
        title="第一书记",
        kind="downward",
        category=PostCategory.VILLAGE,
        rank=cadre.rank,
    )


def test_placement_refuses_a_candidate_with_an_overlapping_proposal(
    login, org_a, batch, cadre, first, village_post
):
    response = login(org_a).post(
        reverse("postings:placement", args=[batch.pk]),
        {
            "accept": [cadre.pk],
            f"post_{cadre.pk}": village_post.pk,
            "start": _day(START + dt.timedelta(days=10)),
        },
    )
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    _names_the_first(message)
    assert not Posting.objects.filter(batch=batch).exists()


def test_placement_accepts_a_candidate_whose_posting_ends_before(
    org_a, batch, cadre, first, village_post
):
    [made] = services.placement_accept(
        batch=batch, pairs=[(cadre.pk, village_post.pk)], by=org_a, start=END
    )
    assert (made.cadre, made.batch, made.status) == (cadre, batch, "proposed")


def test_the_placement_page_warns_of_a_candidate_already_posted_then(
    login, org_a, batch, cadre, first, village_post
):
    body = login(org_a).get(reverse("postings:placement", args=[batch.pk]))
    warning = body.content.decode().split('id="placement-conflicts"')[1]
    _names_the_first(warning.split("</div>")[0])
