"""结束考核 asks first: the close page lists the host and org evaluations not
submitted and the 民主测评 below the minimum turnout, with links, and only a
confirmation of that very list closes the round."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment import services
from assessment.config import default_config
from assessment.models import BallotCode, BallotSession, Evaluation, Round, RoundEvent
from tests.assessment.factories import make_round, make_version
from tests.assessment.test_rounds import _session, flash, posting_in


def _close_url(round_) -> str:
    return reverse("assessment:round_transition", args=[round_.pk, "close"])


def _evaluation(assessment, source, author, *, submitted=True):
    return Evaluation.objects.create(
        assessment=assessment,
        source=source,
        author=author,
        scores=dict.fromkeys(("de", "neng", "qin", "ji", "lian"), 85),
        status="submitted" if submitted else "draft",
        submitted_at=timezone.now() if submitted else None,
    )


def _section(html: str, table_id: str) -> str:
    """The rows of one list of the close page ('' when the list is absent)."""
    found = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    return found.group(0) if found else ""


@pytest.fixture
def gappy(org_a, host_a, tree):
    """A collecting round of county A over three postings:
    complete — host and org submitted, 3 of 4 ballots (minimum 50%);
    lacking — no host evaluation, an org draft, 1 of 4 ballots;
    draft — a host draft, org submitted, 民主测评 never opened."""
    complete, lacking, draft = (posting_in(tree.county_a) for _ in range(3))
    round_ = make_round(org_a, [complete, lacking, draft])
    a = {
        name: round_.assessments.get(posting=posting)
        for name, posting in (
            ("complete", complete),
            ("lacking", lacking),
            ("draft", draft),
        )
    }
    _evaluation(a["complete"], "host", host_a)
    _evaluation(a["complete"], "org", org_a)
    _session(a["complete"], org_a, cast=3, codes=4)
    _evaluation(a["lacking"], "org", org_a, submitted=False)
    _session(a["lacking"], org_a, cast=1, codes=4)
    _evaluation(a["draft"], "host", host_a, submitted=False)
    _evaluation(a["draft"], "org", org_a)
    return round_, a


def _name(assessment) -> str:
    return assessment.posting.cadre.name


def test_the_close_page_lists_what_the_round_lacks_with_links(login, org_a, gappy):
    round_, a = gappy
    response = login(org_a).get(_close_url(round_))
    assert response.status_code == 200
    html = response.content.decode()
    host = _section(html, "missing-host")
    assert _name(a["lacking"]) in host and _name(a["draft"]) in host
    assert _name(a["complete"]) not in host
    assert "未评价" in host and "草稿未提交" in host
    assert reverse("assessment:assessment_detail", args=[a["lacking"].pk]) in host
    org = _section(html, "missing-org")
    assert _name(a["lacking"]) in org
    assert _name(a["complete"]) not in org and _name(a["draft"]) not in org
    assert reverse("assessment:evaluate", args=[a["lacking"].pk, "org"]) in org
    ballots = _section(html, "low-turnout")
    assert _name(a["lacking"]) in ballots and "1/4（25%）" in ballots
    assert reverse("assessment:ballot_session", args=[a["lacking"].pk]) in ballots
    assert _name(a["draft"]) in ballots and "未开启民主测评" in ballots
    assert reverse("assessment:ballot_session_open", args=[a["draft"].pk]) in ballots
    assert _name(a["complete"]) not in ballots
    assert "确认有缺项仍结束考核" in html
    # Showing the list writes nothing.
    round_.refresh_from_db()
    assert round_.status == Round.Status.COLLECTING
    assert not RoundEvent.objects.exists()


def test_the_round_page_sends_closing_to_the_list_first(login, org_a, gappy):
    round_, _a = gappy
    html = login(org_a).get(round_.get_absolute_url()).content.decode()
    assert f'href="{_close_url(round_)}"' in html
    assert f'action="{_close_url(round_)}"' not in html


@pytest.mark.parametrize(
    "data",
    [
        {"reason": "到期结束"},  # what the round page's form used to post
        {"reason": "到期结束", "state": "any"},
        {"reason": "到期结束", "confirm": "1"},  # no list seen
    ],
)
def test_posting_without_confirming_the_list_does_not_close(login, org_a, gappy, data):
    round_, _a = gappy
    client = login(org_a)
    data = dict(data)
    if "state" in data:
        data["state"] = client.get(_close_url(round_)).context["gaps"].state
    response = client.post(_close_url(round_), data)
    assert response.status_code == 200
    assert 'id="close-errors"' in response.content.decode()
    round_.refresh_from_db()
    assert round_.status == Round.Status.COLLECTING
    assert not RoundEvent.objects.exists()
    assert not BallotSession.objects.filter(status="closed").exists()


def test_confirming_the_list_closes_the_round(login, org_a, gappy):
    round_, _a = gappy
    client = login(org_a)
    state = client.get(_close_url(round_)).context["gaps"].state
    response = client.post(
        _close_url(round_),
        {"reason": "缺项已知悉", "state": state, "confirm": "1"},
        follow=True,
    )
    assert "已办理“结束考核”" in flash(response)
    round_.refresh_from_db()
    assert round_.status == Round.Status.CLOSED
    event = round_.events.get()
    assert (event.to_status, event.reason, event.by) == ("closed", "缺项已知悉", org_a)
    assert not BallotSession.objects.filter(status="open").exists()


def test_a_change_after_the_list_was_shown_refuses_the_close(
    login, org_a, host_a, gappy
):
    round_, a = gappy
    client = login(org_a)
    seen = client.get(_close_url(round_)).context["gaps"].state
    _evaluation(a["lacking"], "host", host_a)  # filed meanwhile
    response = client.post(_close_url(round_), {"state": seen, "confirm": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "本轮考核的情况在您确认前已有变化" in html
    round_.refresh_from_db()
    assert round_.status == Round.Status.COLLECTING
    assert not RoundEvent.objects.exists()
    # The page now shows the new list, and confirming that one closes.
    assert _name(a["lacking"]) not in _section(html, "missing-host")
    fresh = response.context["gaps"].state
    assert fresh != seen and f'name="state" value="{fresh}"' in html
    client.post(_close_url(round_), {"state": fresh, "confirm": "1"})
    round_.refresh_from_db()
    assert round_.status == Round.Status.CLOSED


def test_a_round_closed_meanwhile_is_not_closed_again(login, org_a, gappy):
    round_, _a = gappy
    client = login(org_a)
    seen = client.get(_close_url(round_)).context["gaps"].state
    services.round_transition(round_=round_, action="close", by=org_a)
    response = client.post(
        _close_url(round_), {"state": seen, "confirm": "1"}, follow=True
    )
    assert "本轮考核已结束" in flash(response)
    assert round_.events.count() == 1
    # Closed and reopened meanwhile: the same status, another round state.
    services.round_transition(round_=round_, action="reopen", by=org_a, reason="复核")
    with pytest.raises(ValidationError, match="已有变化") as caught:
        services.round_close(round_=round_, by=org_a, state=seen)
    assert caught.value.code == "changed"
    round_.refresh_from_db()
    assert round_.status == Round.Status.COLLECTING
    assert round_.events.count() == 2


def test_a_round_with_nothing_missing_closes_after_one_confirm(
    login, org_a, host_a, gappy
):
    round_, a = gappy
    _evaluation(a["lacking"], "host", host_a)
    Evaluation.objects.filter(status="draft").update(
        status="submitted", submitted_at=timezone.now()
    )
    BallotCode.objects.filter(group__session__assessment=a["lacking"]).update(used=True)
    _session(a["draft"], org_a, cast=4, codes=4)
    client = login(org_a)
    page = client.get(_close_url(round_))
    html = page.content.decode()
    assert 'id="close-complete"' in html
    for table in ("missing-host", "missing-org", "low-turnout"):
        assert _section(html, table) == ""
    assert not page.context["gaps"]
    client.post(
        _close_url(round_), {"state": page.context["gaps"].state, "confirm": "1"}
    )
    round_.refresh_from_db()
    assert round_.status == Round.Status.CLOSED


def test_sources_the_template_does_not_weigh_are_not_missing(org_a, tree):
    config = default_config()
    config["sources"] = {"host": 0, "democratic": 0, "org": 100, "self": 0}
    round_ = make_round(
        org_a, [posting_in(tree.county_a)], version=make_version(org_a, config=config)
    )
    gaps = services.round_close_gaps(round_=round_, by=org_a)
    assert (len(gaps.host), len(gaps.org), len(gaps.ballots)) == (0, 1, 0)


def test_only_a_collecting_round_shows_the_close_page(login, org_a, tree):
    round_ = make_round(org_a, [posting_in(tree.county_a)], status=Round.Status.OPEN)
    response = login(org_a).get(_close_url(round_), follow=True)
    assert "本轮考核尚未开始评分" in flash(response)
    round_.refresh_from_db()
    assert round_.status == Round.Status.OPEN


@pytest.mark.parametrize("persona", ["org_b", "host_a", "home_a", "cadre_user"])
def test_the_close_page_does_not_exist_for_others(login, personas, gappy, persona):
    round_, _a = gappy
    client = login(personas[persona])
    assert client.get(_close_url(round_)).status_code == 404
    assert client.post(_close_url(round_), {"confirm": "1"}).status_code == 404
    round_.refresh_from_db()
    assert round_.status == Round.Status.COLLECTING


def test_the_close_page_reads_a_fixed_number_of_queries(login, org_a, tree):
    client = login(org_a)
    version = make_version(org_a)

    def queries(n):
        postings = [posting_in(tree.county_a) for _ in range(n)]
        round_ = make_round(org_a, postings, version=version)
        for assessment in round_.assessments.all()[1:]:
            _session(assessment, org_a, cast=1, codes=3)
        # Warm: the session's once-a-minute reads (settings, second factor)
        # are not the page's.
        client.get(_close_url(round_))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_close_url(round_)).status_code == 200
        return len(ctx)

    assert queries(2) == queries(6)
