"""The batch page from selection to posting: the by-hand proposal link, the
postings beyond the selection, and the decision dropdown that shows what was
decided and keeps the user's place (issue 14)."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from postings.models import Batch, Nomination
from tests.factories import CadreFactory, PostingFactory

D = Nomination.Decision


@pytest.fixture
def batch(tree, org_a):
    return Batch.objects.create(
        name="甲县2026年第一批",
        year=2026,
        unit=tree.county_a,
        kinds=["downward"],
        created_by=org_a,
    )


def _nominate(batch, tree, name, decision=D.PENDING, **fields):
    return Nomination.objects.create(
        batch=batch,
        cadre=CadreFactory(name=name, unit=tree.organ_a),
        source=Nomination.Source.SELF,
        decision=decision,
        **fields,
    )


def _row(body: str, name: str) -> str:
    return re.search(rf'<tr data-cadre="{name}".*?</tr>', body, re.S).group(0)


def _propose_link(nomination) -> str:
    return f"?cadre={nomination.cadre_id}&batch={nomination.batch_id}&sending_unit="


# --- The by-hand proposal link ----------------------------------------------------


def test_the_by_hand_link_disappears_once_the_nomination_has_a_posting(
    login, org_a, tree, batch
):
    chosen = _nominate(batch, tree, "甲选中", D.SELECTED)
    client = login(org_a)
    body = client.get(batch.get_absolute_url()).content.decode()
    assert _propose_link(chosen) in _row(body, "甲选中")
    posting = PostingFactory(cadre=chosen.cadre, batch=batch, status="proposed")
    body = client.get(batch.get_absolute_url()).content.decode()
    row = _row(body, "甲选中")
    assert "手动生成拟派" not in row
    assert _propose_link(chosen) not in body
    # In its place, the way to the posting; the decision can no longer change.
    assert f'href="{posting.get_absolute_url()}"' in row
    assert 'name="decision"' not in row


def test_only_selected_nominations_without_a_posting_offer_the_link(
    login, org_a, tree, batch
):
    pending = _nominate(batch, tree, "乙待定")
    rejected = _nominate(batch, tree, "丙落选", D.REJECTED)
    body = login(org_a).get(batch.get_absolute_url()).content.decode()
    assert "手动生成拟派" not in body
    assert _propose_link(pending) not in body and _propose_link(rejected) not in body


# --- Postings beyond the selection ------------------------------------------------


def test_more_postings_than_selected_candidates_are_explained(
    login, org_a, tree, batch
):
    chosen = _nominate(batch, tree, "甲选中", D.SELECTED)
    PostingFactory(cadre=chosen.cadre, batch=batch, status="proposed")
    client = login(org_a)
    body = client.get(batch.get_absolute_url()).content.decode()
    assert 'id="postings-explained"' not in body  # one selected, one posting
    assert "非选中人选" not in body
    # A posting registered by hand for someone the batch did not select.
    PostingFactory(
        cadre=CadreFactory(name="丁手工", unit=tree.organ_a),
        batch=batch,
        status="proposed",
    )
    body = client.get(batch.get_absolute_url()).content.decode()
    note = body.split('id="postings-explained"')[1].split("</p>")[0]
    assert "本批次挂职2项，多于选中人选1名" in note
    assert "1项的干部不是本批次选中的人选" in note
    postings = body.split('id="batch-postings"')[1].split("</table>")[0]
    marked = {
        "丁手工" in row: "非选中人选" in row
        for row in re.findall(r"<tr>(.*?)</tr>", postings, re.S)[1:]  # [0]: head
    }
    assert marked == {True: True, False: False}


def test_a_selected_cadre_with_two_postings_in_the_batch_is_explained(
    login, org_a, tree, batch
):
    """Made before rule 1 held (rule 1 now refuses overlapping ones)."""
    chosen = _nominate(batch, tree, "甲选中", D.SELECTED)
    for start in (dt.date(2026, 3, 1), dt.date(2027, 3, 1)):
        PostingFactory(
            cadre=chosen.cadre, batch=batch, start_date=start, status="proposed"
        )
    body = login(org_a).get(batch.get_absolute_url()).content.decode()
    note = body.split('id="postings-explained"')[1].split("</p>")[0]
    assert "本批次挂职2项，多于选中人选1名" in note
    assert "1项是同一人选的另一项挂职" in note


# --- The decision dropdown --------------------------------------------------------


def _chosen_option(row: str) -> list[str]:
    select = re.search(r'<select[^>]*name="decision".*?</select>', row, re.S).group(0)
    return re.findall(r'<option value="([^"]*)" selected>', select)


def test_the_decision_dropdown_shows_the_recorded_decision(login, org_a, tree, batch):
    _nominate(batch, tree, "甲选中", D.SELECTED)
    _nominate(batch, tree, "乙落选", D.REJECTED)
    _nominate(batch, tree, "丙待定")
    body = login(org_a).get(batch.get_absolute_url()).content.decode()
    assert _chosen_option(_row(body, "甲选中")) == ["selected"]
    assert _chosen_option(_row(body, "乙落选")) == ["rejected"]
    # Pending: nothing chosen, and the form asks for a choice.
    assert _chosen_option(_row(body, "丙待定")) == [""]
    assert re.search(r'<select[^>]*name="decision"[^>]*required', _row(body, "丙待定"))


def test_confirming_a_rejected_row_as_shown_keeps_it_rejected(
    login, org_a, tree, batch
):
    """What the browser sends when 确定 is pressed on a 未选中 row."""
    rejected = _nominate(batch, tree, "乙落选", D.REJECTED, decision_reason="年龄")
    client = login(org_a)
    body = client.get(batch.get_absolute_url()).content.decode()
    [shown] = _chosen_option(_row(body, "乙落选"))
    client.post(
        reverse("postings:nomination_decide", args=[rejected.pk]),
        {"decision": shown, "reason": "复核后维持"},
    )
    rejected.refresh_from_db()
    assert rejected.decision == D.REJECTED


def test_rows_keep_their_order_whatever_is_decided(login, org_a, tree, batch):
    names = ["甲", "乙", "丙", "丁"]
    rows = [_nominate(batch, tree, name) for name in names]
    client = login(org_a)
    url = batch.get_absolute_url()

    def order():
        body = client.get(url).content.decode()
        return re.findall(r'<tr data-cadre="([^"]+)"', body)

    assert order() == names
    for nomination, decision in zip(
        rows, ["rejected", "selected", "rejected", "selected"], strict=True
    ):
        client.post(
            reverse("postings:nomination_decide", args=[nomination.pk]),
            {"decision": decision, "reason": "理由"},
        )
        assert order() == names


def test_a_decision_returns_to_the_same_page_at_its_row(
    login, org_a, tree, batch, settings
):
    settings.PAGE_SIZE = 2
    rows = [_nominate(batch, tree, name) for name in ["甲", "乙", "丙"]]
    client = login(org_a)
    body = client.get(batch.get_absolute_url() + "?page=2").content.decode()
    row = _row(body, "丙")
    assert f'id="nomination-{rows[2].pk}"' in row
    back = re.search(r'name="back" value="([^"]*)"', row).group(1)
    response = client.post(
        reverse("postings:nomination_decide", args=[rows[2].pk]),
        {"decision": "selected", "reason": "理由", "back": back.replace("&amp;", "&")},
    )
    assert response["Location"] == (
        f"{batch.get_absolute_url()}?page=2#nomination-{rows[2].pk}"
    )


def test_the_way_back_keeps_only_the_pages_of_the_batch(login, org_a, tree, batch):
    nomination = _nominate(batch, tree, "甲")
    response = login(org_a).post(
        reverse("postings:nomination_decide", args=[nomination.pk]),
        {
            "decision": "rejected",
            "reason": "理由",
            "back": "page=3&next=https://evil.example/&posts_page=2",
        },
    )
    assert response["Location"] == (
        f"{batch.get_absolute_url()}?page=3&posts_page=2#nomination-{nomination.pk}"
    )


def test_a_refused_decision_also_returns_to_its_row(login, org_a, tree, batch):
    nomination = _nominate(batch, tree, "甲")
    response = login(org_a).post(
        reverse("postings:nomination_decide", args=[nomination.pk]),
        {"decision": "selected", "reason": ""},
    )
    assert response["Location"] == (
        f"{batch.get_absolute_url()}#nomination-{nomination.pk}"
    )
    nomination.refresh_from_db()
    assert nomination.decision == D.PENDING
