"""The posting page: what it shows, to whom, escaped, one query per list."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import Evaluation
from postings.models import Posting, RuleOverride, StatusChange
from records.models import NoteMonthLock
from tests.assessment.factories import make_round
from tests.factories import MonthlyNoteFactory, PostingFactory

EVIL = "<script>alert(1)</script>"


def test_what_users_typed_is_escaped(login, org_a, world):
    posting = world.a.posting
    Posting.objects.filter(pk=posting.pk).update(
        title=f"村书记{EVIL}", mentor=f'"><img src=x onerror=alert(1)>{EVIL}'
    )
    world.a.cadre.name = f"<b>甲</b>{EVIL}"
    world.a.cadre.save(update_fields=["name"])
    StatusChange.objects.create(
        posting=posting,
        from_status="proposed",
        to_status="active",
        on=posting.start_date,
        reason=f"原因{EVIL}",
        by=org_a,
    )
    RuleOverride.objects.create(
        posting=posting,
        rule=RuleOverride.Rule.RANK_FIT,
        detail=f"情况{EVIL}",
        reason=f"理由{EVIL}",
        by=org_a,
    )
    body = login(org_a).get(posting.get_absolute_url()).content.decode()
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "<b>甲</b>" not in body
    for text in ("村书记", "原因", "情况", "理由"):
        assert f"{text}&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_the_page_shows_every_list_and_the_evaluation_tasks(
    login, org_a, host_a, world, tree
):
    posting = world.a.posting
    earlier = PostingFactory(
        cadre=world.a.cadre,
        sending_unit=tree.organ_a,
        receiving_unit=tree.village_a1,
        start_date=dt.date(2024, 1, 1),
        planned_end_date=dt.date(2024, 4, 1),
        status=Posting.Status.COMPLETED,
    )
    Posting.objects.filter(pk=posting.pk).update(predecessor=earlier)
    a = make_round(org_a, [posting], name="收集中的轮次").assessments.get()
    Evaluation.objects.create(assessment=a, source="org", status="draft", author=org_a)
    this_month = dt.date.today().replace(day=1)
    mine = MonthlyNoteFactory(posting=posting, month=this_month, author=host_a)
    NoteMonthLock.objects.create(unit=tree.county_a, month=this_month, locked_by=org_a)
    response = login(org_a).get(posting.get_absolute_url())
    body = response.content.decode()
    assert 'id="relay-chain"' in body and earlier.get_absolute_url() in body
    assert "收集中的轮次" in body and 'data-source="org"' in body
    [(task_row, tasks)] = response.context["evaluation_tasks"]
    assert task_row.pk == a.pk and [t.status for t in tasks if t.source == "org"] == [
        "draft"
    ]
    notes = {n.pk: n for n in response.context["notes"]}
    assert "已由" in notes[mine.pk].lock_reason  # locked by hand, not by age
    # The host leader scores the host source; they would edit their own note
    # of this month, but it is locked.
    host_page = login(host_a).get(posting.get_absolute_url())
    [(_row, host_tasks)] = host_page.context["evaluation_tasks"]
    assert [(t.source, t.status) for t in host_tasks] == [("host", "")]
    body = host_page.content.decode()
    assert reverse("cadres:note_edit", args=[mine.pk]) not in body
    NoteMonthLock.objects.all().delete()
    body = login(host_a).get(posting.get_absolute_url()).content.decode()
    assert reverse("cadres:note_edit", args=[mine.pk]) in body


def test_a_posting_outside_any_relay_costs_no_query_for_the_chain(login, org_a, world):
    client = login(org_a)
    url = world.a.posting.get_absolute_url()
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.context["chain"] == []
    # session, user, the posting (with its cadre, units, author, batch and
    # successor), then one query per list: notes, the month locks over them,
    # status changes, extensions, assignments, rule overrides, the user's
    # evaluation tasks; and the unread badge. None for the relay chain.
    assert len(queries.captured_queries) == 11


def test_each_user_gets_their_own_scope_from_the_shared_query(
    login, org_a, org_b, host_b, world
):
    url = world.a.posting.get_absolute_url()
    assert login(org_a).get(url).status_code == 200
    assert login(org_b).get(url).status_code == 404
    assert login(host_b).get(url).status_code == 404
    assert login(org_a).get(url).status_code == 200
    assert login(org_b).get(world.b.posting.get_absolute_url()).status_code == 200
