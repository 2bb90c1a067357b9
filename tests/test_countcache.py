"""Cached list counts (guazhi.countcache) and the Python-built list HTML
(guazhi.fasthtml): a write shows on the next request, and nothing reaches the
page unescaped."""

import re

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadres.models import Cadre, MonthlyNote
from guazhi import countcache
from postings.forms import PostingFilterForm
from postings.models import Posting
from tests.factories import CadreFactory, PostingFactory


def _pill(body: str, label: str) -> int:
    match = re.search(
        rf"{label} <span class=\"badge text-bg-light\">(\d+)</span>", body
    )
    assert match, f"no pill {label}"
    return int(match.group(1))


def _total(body: str) -> int:
    return int(re.search(r"合计 (\d+)", body).group(1))


def test_a_new_posting_is_counted_on_the_next_request(login, tree, org_city):
    client = login(org_city)
    PostingFactory(sending_unit=tree.organ_a, receiving_unit=tree.township_a1)
    url = reverse("postings:list")
    assert _pill(client.get(url).content.decode(), "在岗") == 1
    # Served from the cache now: no count per status.
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert not any("GROUP BY" in q["sql"] for q in queries.captured_queries)
    PostingFactory(sending_unit=tree.organ_a, receiving_unit=tree.township_a1)
    body = client.get(url).content.decode()
    assert _pill(body, "在岗") == 2
    assert _total(body) == 2


def test_a_status_change_moves_the_count(login, tree, org_city):
    client = login(org_city)
    posting = PostingFactory(sending_unit=tree.organ_a, receiving_unit=tree.township_a1)
    url = reverse("postings:list")
    client.get(url)
    posting.status = Posting.Status.COMPLETED
    posting.ended_on = posting.planned_end_date
    posting.save()
    body = client.get(url).content.decode()
    assert _pill(body, "在岗") == 0
    assert _pill(body, "期满") == 1


def test_a_renamed_cadre_leaves_a_name_filter(login, tree, org_city):
    client = login(org_city)
    posting = PostingFactory(
        cadre=CadreFactory(name="周敏", unit=tree.organ_a),
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
    )
    url = reverse("postings:list") + "?q=周敏"
    assert _total(client.get(url).content.decode()) == 1
    cadre = Cadre.objects.get(pk=posting.cadre_id)
    cadre.name = "周明"
    cadre.save()
    assert _total(client.get(url).content.decode()) == 0


def test_counts_are_per_scope(login, tree, org_a, org_b):
    PostingFactory(sending_unit=tree.organ_a, receiving_unit=tree.township_a1)
    url = reverse("postings:list")
    assert _total(login(org_a).get(url).content.decode()) == 1
    assert _total(login(org_b).get(url).content.decode()) == 0


@pytest.mark.django_db
def test_counted_recomputes_after_a_bump_and_after_the_commit():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert countcache.counted("k", (Posting,), compute) == 1
    assert countcache.counted("k", (Posting,), compute) == 1  # cached
    assert countcache.counted("other", (Posting,), compute) == 2  # its own key
    countcache.bump(Posting)
    assert countcache.counted("k", (Posting,), compute) == 3
    # A generation key the cache lost starts anew instead of reviving old counts.
    cache.delete("countgen:postings.posting")
    assert countcache.counted("k", (Posting,), compute) == 4


@pytest.mark.django_db(transaction=True)
def test_a_count_read_before_the_commit_is_not_kept_after_it(tree):
    """A reader that counted while a write was still uncommitted stored its
    (old) number under the generation the write set; the commit moves on."""
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    with transaction.atomic():
        PostingFactory(sending_unit=tree.organ_a, receiving_unit=tree.township_a1)
        # Another request, not seeing the row yet, counts now.
        assert countcache.counted("k", (Posting,), compute) == 1
    assert countcache.counted("k", (Posting,), compute) == 2


@pytest.mark.django_db
def test_an_untracked_model_is_refused():
    from cadres.models import Talk

    with pytest.raises(RuntimeError, match="not tracked"):
        countcache.counted("k", (Talk,), lambda: 0)
    assert MonthlyNote._meta.label_lower in countcache._TRACKED


def test_list_rows_escape_what_users_typed(login, tree, org_city):
    PostingFactory(
        cadre=CadreFactory(name="<b>王</b>", unit=tree.organ_a),
        title='"><script>x()</script>',
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
    )
    body = login(org_city).get(reverse("postings:list")).content.decode()
    assert "<script>x()" not in body and "<b>王</b>" not in body
    assert "&lt;b&gt;王&lt;/b&gt;" in body
    assert "&quot;&gt;&lt;script&gt;x()&lt;/script&gt;" in body


def test_fast_fields_keep_input_and_show_errors(login, tree, org_city):
    body = (
        login(org_city)
        .get(reverse("postings:list"), {"q": 'a"<b', "start_from": "不是日期"})
        .content.decode()
    )
    assert 'value="a&quot;&lt;b"' in body
    # The bad date keeps what was typed, is marked invalid and says why.
    assert re.search(
        r'<input type="date" name="start_from" value="不是日期"[^>]*is-invalid', body
    )
    assert 'id="id_start_from_error" class="invalid-feedback"' in body
    assert "输入一个有效的日期。" in body


@pytest.mark.django_db
def test_fast_field_selects_the_chosen_option(tree, org_city):
    from guazhi.fasthtml import field

    form = PostingFilterForm({"kind": "upward"}, user=org_city)
    html = field(form["kind"])
    assert '<option value="upward" selected>上派</option>' in html
    assert '<option value="outward">外派</option>' in html
    assert html.startswith('<div id="div_id_kind" class="mb-3"><label for="id_kind"')


def _badge(body: str) -> int:
    return int(re.search(r'id="unread-count">(\d+)<', body).group(1))


def test_the_unread_badge_follows_the_sweep_and_mark_all_read(login, tree, org_a):
    """The badge is cached; the sweep (raw SQL) and "all read" (an UPDATE) both
    send no model signal, and both show on the next page."""
    import datetime as dt

    from postings.services import reminders_sweep_midterm

    today = dt.date(2026, 6, 1)
    PostingFactory(
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_a1,
        start_date=today - dt.timedelta(days=180),
        planned_end_date=today + dt.timedelta(days=190),
    )
    client = login(org_a)
    url = reverse("postings:list")
    assert _badge(client.get(url).content.decode()) == 0
    assert reminders_sweep_midterm(today=today) >= 1
    assert _badge(client.get(url).content.decode()) == 1
    client.post(reverse("postings:notifications_read_all"))
    assert _badge(client.get(url).content.decode()) == 0
