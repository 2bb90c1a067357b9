"""Withdrawing a proposal (撤回拟派): possible until 到岗, with a reason kept in
the posting's history like 提前结束's; the posting stays, out of the counts of
rule 1 and of the team limit (rule 2)."""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from cadres.models import Rank
from postings import services
from postings.models import (
    Batch,
    Nomination,
    OpenPost,
    PostCategory,
    Posting,
    RuleOverride,
    StatusChange,
)
from tests.factories import CadreFactory, PostingFactory

TODAY = timezone.localdate()
STATUS = Posting.Status


def _move(client, posting, action, **data):
    return client.post(reverse("postings:transition", args=[posting.pk, action]), data)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def proposal(tree):
    return PostingFactory(
        cadre=CadreFactory(name="上官拟派", unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=TODAY + dt.timedelta(days=10),
        planned_end_date=TODAY + dt.timedelta(days=375),
        status=STATUS.PROPOSED,
    )


def test_org_staff_withdraw_a_proposal_with_a_reason_kept_in_its_history(
    login, org_a, proposal
):
    response = _move(
        login(org_a), proposal, "withdraw", on=f"{TODAY:%Y-%m-%d}", reason="本人放弃"
    )
    assert response.status_code == 302
    assert _messages(response) == ["已办理“撤回”。"]
    proposal.refresh_from_db()
    assert proposal.status == STATUS.WITHDRAWN
    assert proposal.ended_on is None  # it never began
    assert proposal.end_reason == "本人放弃"
    change = StatusChange.objects.get(posting=proposal)
    assert (change.from_status, change.to_status) == (STATUS.PROPOSED, STATUS.WITHDRAWN)
    assert (change.on, change.reason, change.by) == (TODAY, "本人放弃", org_a)
    assert proposal.history.first().status == STATUS.WITHDRAWN
    assert proposal.history.first().history_user == org_a


def test_a_withdrawn_posting_stays_visible_with_its_history(login, org_a, proposal):
    client = login(org_a)
    _move(client, proposal, "withdraw", on=f"{TODAY:%Y-%m-%d}", reason="岗位调整")
    body = client.get(proposal.get_absolute_url()).content.decode()
    table = body.split('id="status-changes"')[1].split("</table>")[0]
    assert "拟派 → 已撤回" in table and "岗位调整" in table
    assert "撤回原因" in body
    listing = client.get(reverse("postings:list"), {"status": "withdrawn"})
    assert "上官拟派" in listing.content.decode()


def test_withdrawing_needs_a_reason(login, org_a, proposal):
    for reason in ("", "  "):
        response = _move(
            login(org_a), proposal, "withdraw", on=f"{TODAY:%Y-%m-%d}", reason=reason
        )
        assert _messages(response) == ["撤回须填写原因。"]
    assert Posting.objects.get(pk=proposal.pk).status == STATUS.PROPOSED
    assert not StatusChange.objects.exists()


@pytest.mark.parametrize(
    "status", [STATUS.ACTIVE, STATUS.COMPLETED, STATUS.ENDED_EARLY, STATUS.WITHDRAWN]
)
def test_only_a_proposal_may_be_withdrawn(login, org_a, tree, status):
    posting = PostingFactory(
        cadre=CadreFactory(unit=tree.organ_a),
        receiving_unit=tree.township_a1,
        start_date=TODAY - dt.timedelta(days=100),
        status=status,
    )
    before = Posting.objects.values().get(pk=posting.pk)
    response = _move(
        login(org_a), posting, "withdraw", on=f"{TODAY:%Y-%m-%d}", reason="试试"
    )
    label = dict(STATUS.choices)[status]
    assert _messages(response) == [f"当前状态为“{label}”，不能执行“撤回”。"]
    assert Posting.objects.values().get(pk=posting.pk) == before


def test_a_withdrawn_proposal_cannot_be_activated(org_a, proposal):
    services.posting_transition(
        posting=proposal, action="withdraw", on=TODAY, reason="放弃", by=org_a
    )
    with pytest.raises(ValidationError) as caught:
        services.posting_transition(
            posting=proposal, action="activate", on=TODAY, by=org_a
        )
    assert caught.value.messages == ["当前状态为“已撤回”，不能执行“到岗”。"]


@pytest.mark.parametrize("persona", ["host_a", "home_a", "cadre_user", "org_b"])
def test_no_one_but_org_staff_in_scope_may_withdraw(
    login, personas, world, proposal, persona
):
    response = _move(
        login(personas[persona]),
        proposal,
        "withdraw",
        on=f"{TODAY:%Y-%m-%d}",
        reason="x",
    )
    assert response.status_code in (403, 404)
    assert Posting.objects.get(pk=proposal.pk).status == STATUS.PROPOSED


def _offered(body: str) -> list[str]:
    return sorted(set(re.findall(r'data-action="(\w+)"', body)))


def test_the_posting_page_offers_withdrawing_a_proposal_to_org_staff(
    login, org_a, home_a, proposal
):
    body = login(org_a).get(proposal.get_absolute_url()).content.decode()
    assert _offered(body) == ["activate", "withdraw"]
    assert "撤回原因（必填）" in body
    home_contact_body = login(home_a).get(proposal.get_absolute_url()).content.decode()
    assert _offered(home_contact_body) == []


def test_a_withdrawn_proposal_no_longer_counts_toward_the_team(
    org_a, tree, world, proposal
):
    """甲一镇 holds cadre A (active) and the proposal: a third needs a reason,
    until the proposal is withdrawn."""
    newcomer = CadreFactory(unit=tree.organ_a)
    fields = {
        "cadre": newcomer,
        "kind": Posting.Kind.DOWNWARD,
        "sending_unit": tree.organ_a,
        "receiving_unit": tree.township_a1,
        "title": "乡镇长助理",
        "category": PostCategory.TOWNSHIP_LEADER,
        "start_date": TODAY + dt.timedelta(days=20),
        "planned_end_date": TODAY + dt.timedelta(days=200),
    }
    with pytest.raises(ValidationError):
        services.posting_create(by=org_a, **fields)
    services.posting_transition(
        posting=proposal, action="withdraw", on=TODAY, reason="放弃", by=org_a
    )
    posting = services.posting_create(by=org_a, **fields)
    assert not RuleOverride.objects.filter(posting=posting).exists()


def test_a_withdrawn_proposal_no_longer_counts_for_one_posting_at_a_time(
    org_a, tree, proposal
):
    """The same cadre may be proposed again for the same time once withdrawn."""
    services.posting_transition(
        posting=proposal, action="withdraw", on=TODAY, reason="改派", by=org_a
    )
    again = services.posting_create(
        by=org_a,
        cadre=proposal.cadre,
        kind=Posting.Kind.DOWNWARD,
        sending_unit=tree.organ_a,
        receiving_unit=tree.village_a1,
        title="第一书记",
        category=PostCategory.VILLAGE,
        start_date=proposal.start_date,
        planned_end_date=proposal.planned_end_date,
    )
    services.posting_transition(posting=again, action="activate", on=TODAY, by=org_a)
    assert Posting.objects.get(pk=again.pk).status == STATUS.ACTIVE
    assert Posting.objects.get(pk=proposal.pk).status == STATUS.WITHDRAWN


def test_a_withdrawn_posting_cannot_be_a_relay_predecessor(org_a, tree, proposal):
    services.posting_transition(
        posting=proposal, action="withdraw", on=TODAY, reason="放弃", by=org_a
    )
    with pytest.raises(ValidationError) as caught:
        services.posting_create(
            by=org_a,
            cadre=CadreFactory(unit=tree.organ_a),
            kind=Posting.Kind.DOWNWARD,
            sending_unit=tree.organ_a,
            receiving_unit=tree.township_a1,
            title="乡镇长助理",
            category=PostCategory.TOWNSHIP_LEADER,
            start_date=TODAY,
            predecessor=proposal,
        )
    assert "predecessor" in caught.value.message_dict


def test_the_database_keeps_a_withdrawn_posting_without_an_actual_end(proposal):
    Posting.objects.filter(pk=proposal.pk).update(status=STATUS.WITHDRAWN)
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.filter(pk=proposal.pk).update(ended_on=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.filter(pk=proposal.pk).update(status="deleted")


@pytest.mark.django_db(transaction=True)
def test_the_migration_that_adds_withdrawn_keeps_every_posting():
    """Its constraints are replaced (SQLite rebuilds the table): every row of
    every earlier status comes through unchanged."""
    for status in (
        STATUS.PROPOSED,
        STATUS.ACTIVE,
        STATUS.COMPLETED,
        STATUS.ENDED_EARLY,
    ):
        PostingFactory(status=status, end_reason=f"{status}的原因")
    before = list(Posting.objects.order_by("pk").values())
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("postings", "0005_beyond_scope_index")])
    executor = MigrationExecutor(connection)
    executor.migrate(latest)
    assert list(Posting.objects.order_by("pk").values()) == before
    withdrawn = Posting.objects.filter(status=STATUS.PROPOSED)
    assert withdrawn.update(status=STATUS.WITHDRAWN) == 1


def test_a_withdrawn_placement_frees_the_candidate_and_the_place(org_a, tree):
    batch = Batch.objects.create(
        name="甲县2026年第三批下派",
        year=2026,
        unit=tree.county_a,
        kinds=["downward"],
        created_by=org_a,
    )
    cadre = CadreFactory(unit=tree.organ_a, rank=Rank.DEPUTY_SECTION)
    nomination = Nomination.objects.create(
        batch=batch,
        cadre=cadre,
        source=Nomination.Source.SELF,
        decision=Nomination.Decision.SELECTED,
    )
    post = OpenPost.objects.create(
        batch=batch,
        receiving_unit=tree.township_a1,
        title="乡镇长助理",
        kind="downward",
        category=PostCategory.TOWNSHIP_LEADER,
        rank=Rank.DEPUTY_SECTION,
    )
    [placed] = services.placement_accept(
        batch=batch, pairs=[(cadre.pk, post.pk)], by=org_a, start=TODAY
    )
    assert services.placement_inputs(batch, by=org_a) == ([], [])
    with pytest.raises(ValidationError):
        services.nomination_decide(
            nomination=nomination, decision="rejected", reason="放弃", by=org_a
        )
    services.posting_transition(
        posting=placed, action="withdraw", on=TODAY, reason="本人放弃", by=org_a
    )
    candidates, posts = services.placement_inputs(batch, by=org_a)
    assert [c.id for c in candidates] == [cadre.pk]
    assert [(p.id, p.capacity) for p in posts] == [(post.pk, 1)]
    services.nomination_decide(
        nomination=nomination, decision="rejected", reason="本人放弃", by=org_a
    )
    assert Nomination.objects.get(pk=nomination.pk).decision == "rejected"
