"""The batch page (postings:batch_detail): its counts and its tables' rows.

The page shows a batch of hundreds of candidates and posts (the province's:
500 of each), each table a page at a time. What it spent its time on (issue 3):
ranking every candidate on every request, counting beside the tables, reading
each page's rows as model instances and the template engine rendering them
(two forms per candidate). So:

- the ranking, the counts and the rows of the two long tables are cached
  (guazhi.countcache) until a model they read is written: the rows as
  `values_list` tuples, their text already escaped, in blocks of BLOCK rows;
- the rows' HTML is built in Python (guazhi.fasthtml), with the markup the
  template had;
- the two empty forms below the tables are rendered once per process
  (`form_fields`).

Nothing cached depends on the user: whoever may see a batch (checked before)
sees all of it. What does (the CSRF token, the "create a posting" link) is
added per request.
"""

import functools
from collections import Counter
from collections.abc import Callable

from django.core.paginator import Page
from django.db.models import Count, QuerySet
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cadres.models import Cadre, Rank, Unit, User, user_name
from guazhi.access import role_may_use
from guazhi.countcache import counted
from guazhi.fasthtml import esc, field, labels, url_for, ymd
from guazhi.listing import paginate

from . import services
from .forms import NominationForm, OpenPostForm
from .models import Batch, Nomination, OpenPost, PostCategory, Posting

# What each cached value reads (guazhi.countcache).
RANKING_MODELS = (Nomination,)
COUNT_MODELS = (Posting,)
NOMINATION_ROW_MODELS = (Nomination, Cadre, Unit, User)
POST_ROW_MODELS = (OpenPost, Unit)

# Rows are cached in blocks of this many whatever the page size: a page within
# a block reads it whole, so pages of 10, 50 and 100 rows (the bench's) read
# the same first block and run the same queries.
BLOCK = 100


def ranking(batch: Batch) -> list[tuple[int, str | None, int | None]]:
    """(nomination pk, total as shown, rank) of every candidate, best first
    (services.competitive_ranking). The exam weight is in the key: editing it
    ranks again."""

    def compute():
        scores = batch.nominations.values_list(
            "pk", "exam_score", "interview_score", named=True
        )
        return [
            (r.nomination.pk, None if r.total is None else f"{r.total:f}", r.rank)
            for r in services.competitive_ranking(batch, scores)
        ]

    key = f"batch-ranking:{batch.pk}:{batch.exam_weight}"
    return counted(key, RANKING_MODELS, compute)


def counts(batch: Batch) -> dict:
    """The batch's candidates, postings by status, open posts (`batch.n_posts`,
    annotated by the view's query) and, for each post with postings, how many
    ("used"): one grouped query over the batch's postings."""

    def compute():
        by_status, used = Counter(), Counter()
        for status, post, n in (
            batch.postings.order_by()
            .values_list("status", "open_post_id")
            .annotate(n=Count("pk"))
        ):
            by_status[status] += n
            if post is not None:
                used[post] += n
        return {
            "status": {v: by_status.get(v, 0) for v in Posting.Status.values},
            "used": dict(used),
        }

    figures = counted(f"batch-counts:{batch.pk}", COUNT_MODELS, compute)
    return {**figures, "nominations": len(ranking(batch)), "posts": batch.n_posts}


@functools.cache
def _rows_of(model, fields: tuple[str, ...]) -> QuerySet:
    """`model`'s rows as `fields` tuples, to filter (each filter is a clone):
    the fields' joins are resolved once per process, not per request."""
    return model.objects.values_list(*fields)


def _page(request, count: int, param: str, block: Callable[[int], list]) -> Page:
    """The page ?<param>= asks for of a table of `count` rows, its rows read
    from `block(start)`: the BLOCK rows from `start` on."""
    page = paginate(request, range(count), count=count, param=param)
    bottom = page.start_index() - 1 if count else 0
    top = bottom + len(page.object_list)
    rows = []
    for start in range(bottom - bottom % BLOCK, top, BLOCK):
        rows += block(start)[max(bottom - start, 0) : top - start]
    page.object_list = rows
    return page


def _tbody(rows: list[str], empty: str, colspan: int) -> SafeString:
    """The rows, or the table's own empty row (the page's markup, not
    fasthtml.join_rows')."""
    html = "".join(rows) or (
        f'<tr><td colspan="{colspan}" class="text-body-secondary">{esc(empty)}</td></tr>'
    )
    return mark_safe(html)  # noqa: S308 - every value went through esc()


# --- The ranking (nominations) -----------------------------------------------

NOMINATION_FIELDS = (
    "pk",
    "cadre_id",
    "cadre__name",
    "cadre__is_reserve",
    "cadre__unit__name",
    "cadre__speciality",
    "cadre__rank",
    "cadre__unit_id",
    "source",
    "recommender",
    "exam_score",
    "interview_score",
    "decision",
    "decision_reason",
    "decided_by__last_name",
    "decided_by__first_name",
    "decided_by__username",
)
DECISION_BADGES = {
    Nomination.Decision.SELECTED: "text-bg-success",
    Nomination.Decision.REJECTED: "text-bg-secondary",
}


def _score(value) -> str:
    return "" if value is None else f"{value:f}"


def _shown(row: tuple, total: str | None, rank: int | None) -> tuple:
    """A NOMINATION_FIELDS row as the table shows it: text escaped, scores as
    text, the decider's name (as str(User)) for the last three fields, then
    the total and the rank."""
    (
        pk,
        cadre_id,
        name,
        is_reserve,
        unit,
        speciality,
        cadre_rank,
        unit_id,
        source,
        recommender,
        exam,
        interview,
        decision,
        reason,
        last_name,
        first_name,
        username,
    ) = row
    who = user_name(last_name, first_name, username)
    return (
        pk,
        cadre_id,
        esc(name),
        is_reserve,
        esc(unit),
        esc(speciality),
        cadre_rank,
        unit_id,
        source,
        esc(recommender),
        _score(exam),
        _score(interview),
        decision,
        esc(reason),
        esc(who),
        total,
        rank,
    )


def ranking_page(request, batch: Batch, count: int) -> Page:
    """The asked-for page of the ranking (`count` candidates), rows `_shown`."""

    def block(start: int) -> list[tuple]:
        def compute():
            ranked = ranking(batch)[start : start + BLOCK]
            found = {
                row[0]: row
                for row in _rows_of(Nomination, NOMINATION_FIELDS).filter(
                    pk__in=[pk for pk, _total, _rank in ranked]
                )
            }
            # A nomination deleted since the ranking was cached is left out.
            return [
                _shown(found[pk], total, rank)
                for pk, total, rank in ranked
                if pk in found
            ]

        key = f"batch-ranking-rows:{batch.pk}:{batch.exam_weight}:{start}:{BLOCK}"
        return counted(key, NOMINATION_ROW_MODELS, compute)

    return _page(request, count, "page", block)


def ranking_rows(request, batch: Batch, page: Page) -> SafeString:
    """The ranking table's rows for a `ranking_page`."""
    cadre_url = url_for("cadres:detail")
    score_url = url_for("postings:nomination_score")
    decide_url = url_for("postings:nomination_decide")
    create_url = (
        reverse("postings:create")
        if role_may_use(request.user.role, "postings:create")
        else ""
    )
    ranks, sources = labels(Rank.choices), labels(Nomination.Source.choices)
    decisions = labels(Nomination.Decision.choices)
    csrf = (
        '<input type="hidden" name="csrfmiddlewaretoken" '
        f'value="{esc(get_token(request))}">'
    )
    reserve_badge = f' <span class="badge text-bg-success">{esc(_("后备"))}</span>'
    create_text = esc(_("手动生成拟派"))
    score_inputs = (
        '\n      <input class="form-control form-control-sm" style="width:5.5em" '
        'name="exam_score" value="{}" inputmode="decimal" aria-label="'
        + esc(_("笔试"))
        + '">\n      <input class="form-control form-control-sm" style="width:5.5em" '
        'name="interview_score" value="{}" inputmode="decimal" aria-label="'
        + esc(_("面试"))
        + '">\n      <button class="btn btn-sm btn-outline-secondary text-nowrap" '
        'type="submit">' + esc(_("录入")) + "</button></form></td>"
    )
    reason_text = esc(_("理由"))
    decide_inputs = (
        '\n      <select class="form-select form-select-sm" name="decision" '
        f'style="width:6.5em" aria-label="{esc(_("结果"))}">'
        f'<option value="selected">{esc(_("选中"))}</option>'
        f'<option value="rejected">{esc(_("未选中"))}</option></select>'
        '\n      <input class="form-control form-control-sm" name="reason" '
        f'placeholder="{reason_text}" required maxlength="300" '
        f'aria-label="{reason_text}">'
        '\n      <button class="btn btn-sm btn-outline-primary text-nowrap" '
        f'type="submit">{esc(_("确定"))}</button></form></td>'
    )
    rows = []
    # Text fields arrive escaped (_shown).
    for (
        pk,
        cadre_id,
        name,
        is_reserve,
        unit,
        speciality,
        cadre_rank,
        unit_id,
        source,
        recommender,
        exam,
        interview,
        decision,
        reason,
        who,
        total,
        rank,
    ) in page:
        note = (
            f'<div class="small text-body-secondary">{recommender}</div>'
            if recommender
            else ""
        )
        decided = (
            f'<div class="small text-body-secondary">{reason}（{who}）</div>'
            if reason
            else ""
        )
        create = ""
        if decision == Nomination.Decision.SELECTED and create_url:
            create = (
                f'<a class="small" href="{create_url}?cadre={cadre_id}'
                f'&batch={batch.pk}&sending_unit={unit_id}">{create_text}</a>'
            )
        rows.append(
            f'\n  <tr data-cadre="{name}">'
            f'\n    <td class="rank">{"—" if rank is None else rank}</td>'
            f'\n    <td><a href="{cadre_url(cadre_id)}">{name}</a>'
            f"{reserve_badge if is_reserve else ''}"
            f'<div class="small text-body-secondary">{unit} · {speciality}</div></td>'
            f"\n    <td>{ranks.get(cadre_rank) or esc(cadre_rank)}</td>"
            f"\n    <td>{sources.get(source) or esc(source)}{note}</td>"
            f'\n    <td><form method="post" action="{score_url(pk)}" '
            f'class="d-flex gap-1">{csrf}'
            + score_inputs.format(exam, interview)
            + f'\n    <td class="total">{"—" if total is None else total}</td>'
            f'\n    <td><span class="badge '
            f'{DECISION_BADGES.get(decision, "text-bg-light")}">'
            f"{decisions.get(decision) or esc(decision)}</span>{decided}"
            f"\n      {create}</td>"
            f'\n    <td><form method="post" action="{decide_url(pk)}" '
            f'class="d-flex gap-1">{csrf}{decide_inputs}'
            "\n  </tr>\n  "
        )
    return _tbody(rows, _("尚无人选。"), 8)


# --- Open posts --------------------------------------------------------------

POST_FIELDS = (
    "pk",
    "receiving_unit__name",
    "title",
    "kind",
    "category",
    "rank",
    "speciality",
    "capacity",
)


def posts_page(request, batch: Batch, count: int) -> Page:
    """The asked-for page of the batch's `count` open posts, in the order they
    were added: POST_FIELDS tuples, text escaped (no speciality is "—")."""

    def block(start: int) -> list[tuple]:
        def compute():
            rows = _rows_of(OpenPost, POST_FIELDS).filter(batch=batch.pk)
            return [
                (
                    pk,
                    esc(unit),
                    esc(title),
                    kind,
                    category,
                    rank,
                    esc(speciality) if speciality else "—",
                    capacity,
                )
                for pk, unit, title, kind, category, rank, speciality, capacity in (
                    rows.order_by("pk")[start : start + BLOCK]
                )
            ]

        return counted(
            f"batch-post-rows:{batch.pk}:{start}:{BLOCK}", POST_ROW_MODELS, compute
        )

    return _page(request, count, "posts_page", block)


def post_rows(page: Page, used: dict) -> SafeString:
    """The open posts' rows for a `posts_page`, `used` from counts()."""
    kinds = labels(OpenPost._meta.get_field("kind").choices)
    categories, ranks = labels(PostCategory.choices), labels(Rank.choices)
    return _tbody(
        [
            f"<tr><td>{unit}</td><td>{title}</td>"
            f"<td>{kinds.get(kind) or esc(kind)}</td>"
            f"<td>{categories.get(category) or esc(category)}</td>"
            f"<td>{ranks.get(rank) or esc(rank)}</td>"
            f"<td>{speciality}</td>"
            f"<td>{capacity}</td><td>{used.get(pk, 0)}</td></tr>\n  "
            for pk, unit, title, kind, category, rank, speciality, capacity in page
        ],
        _("尚未设置岗位。"),
        8,
    )


# --- The batch's postings ----------------------------------------------------

POSTING_FIELDS = (
    "pk",
    "cadre__name",
    "receiving_unit__name",
    "title",
    "start_date",
    "planned_end_date",
    "status",
)


def postings(batch: Batch) -> QuerySet:
    """The batch's postings as POSTING_FIELDS tuples (Posting's order)."""
    return _rows_of(Posting, POSTING_FIELDS).filter(batch=batch.pk)


def posting_rows(rows) -> SafeString:
    """The batch's postings: POSTING_FIELDS tuples."""
    if not rows:
        return _tbody([], _("暂无。"), 5)
    detail = url_for("postings:detail")
    statuses = labels(Posting.Status.choices)
    return _tbody(
        [
            f'<tr><td><a href="{detail(pk)}">{esc(cadre)}</a></td>'
            f"<td>{esc(unit)}</td><td>{esc(title)}</td>"
            f"<td>{ymd(start)} ~ {ymd(end)}</td>"
            f"<td>{statuses.get(status) or esc(status)}</td></tr>\n  "
            for pk, cadre, unit, title, start, end, status in rows
        ],
        _("暂无。"),
        5,
    )


# --- The forms ---------------------------------------------------------------

_FORM_FIELDS: dict[tuple, dict[str, SafeString]] = {}


def form_fields(user, reserve_only: bool) -> dict[str, SafeString]:
    """The fields of the page's empty forms (NominationForm, OpenPostForm) as
    guazhi.fasthtml.field renders them, and the forms' media.

    Empty, they render the same for every user: the lookup fields list no
    choices (they are suggested as one types, by cadres:lookup, which applies
    the user's scope) and nothing else depends on the user or the batch. So
    they are rendered once per process, reserve switch and language. The
    forms that take the posts (nomination_add, open_post_add) are built per
    request, for their user.
    """
    key = (reserve_only, get_language())
    fields = _FORM_FIELDS.get(key)
    if fields is None:
        nomination = NominationForm(user=user, reserve_only=reserve_only)
        post = OpenPostForm()
        fields = {name: field(nomination[name]) for name in nomination.fields}
        fields |= {name: field(post[name]) for name in post.fields}
        fields["media"] = nomination.media.render()
        _FORM_FIELDS[key] = fields
    return fields
