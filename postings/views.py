from collections import Counter
from functools import partial
from typing import NamedTuple

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

import audit
from cadres.models import Rank
from cadres.policy import role_may_use
from guazhi.excel import in_background, xlsx_response
from guazhi.forms import submit
from guazhi.http import AuthenticatedHttpRequest, pk_urls
from guazhi.listing import (
    columns,
    page_context,
    paginate,
    querystring,
    sorted_queryset,
    status_tabs,
)
from guazhi.queries import correlated_count

from . import exports, services
from .forms import (
    AssignmentForm,
    BatchForm,
    DecisionForm,
    ExtensionForm,
    NominationForm,
    OpenPostForm,
    PostingFilterForm,
    PostingForm,
    ScoreForm,
    TransitionForm,
)
from .models import (
    Batch,
    Nomination,
    OpenPost,
    PostCategory,
    Posting,
    Reminder,
)
from .placement import Infeasible, team_penalty
from .placement import propose as placement_propose
from .rules import TEAM_LIMIT

POSTING_SORTS = {
    "cadre": "cadre__name",
    "kind": "kind",
    "receiving": "receiving_unit__name",
    "start": "start_date",
    "end": "planned_end_date",
    "midterm": "midterm_date",
    "status": "status",
}


def filtered_postings(request: AuthenticatedHttpRequest):
    """The postings in scope as the list's filters and sort select them: the
    list, its export and the background export read the same rows."""
    form = PostingFilterForm(request.GET or None, user=request.user)
    scoped = Posting.objects.visible_to(request.user)
    # Both the list and the export read plain values (no select_related).
    qs = form.filter(scoped, today=timezone.localdate())
    qs, sort = sorted_queryset(request, qs, POSTING_SORTS, "-start")
    return form, qs, sort


def posting_list(request: AuthenticatedHttpRequest):
    form, qs, sort = filtered_postings(request)
    # Counts per status under every other filter, so each tab shows its number:
    # one GROUP BY status over the postings in scope.
    other_filters = form.filter(
        Posting.objects.all(), today=timezone.localdate(), ignore=("status",)
    )
    counts = {
        status: n
        for (status,), n in other_filters.count_visible(request.user, "status").items()
    }
    # The status filter is the one the counts leave out: the total follows, and
    # the paginator takes it instead of counting again.
    status = form.cleaned_data.get("status") if form.is_bound else ""
    tabs = status_tabs(request, Posting.Status.choices, counts, status)
    page = paginate(request, qs.values_list(*ROW_FIELDS), count=tabs["total"])
    page.object_list = posting_rows(page.object_list)
    head = [
        (_("干部"), "cadre"),
        (_("类型"), "kind"),
        (_("派出单位"), ""),
        (_("接收单位"), "receiving"),
        (_("挂任职务"), ""),
        (_("开始"), "start"),
        (_("计划结束"), "end"),
        (_("中期考核"), "midterm"),
        (_("状态"), "status"),
    ]
    return render(
        request,
        "postings/posting_list.html",
        {
            "form": form,
            "columns": columns(request, head, sort),
            **tabs,
            "export_query": querystring(request, page=None),
            **page_context(request, page),
        },
    )


ROW_FIELDS = (
    "pk",
    "cadre__name",
    "kind",
    "sending_unit__name",
    "receiving_unit__name",
    "title",
    "start_date",
    "planned_end_date",
    "midterm_date",
    "status",
)
STATUS_BADGES = {
    Posting.Status.ACTIVE: "text-bg-success",
    Posting.Status.PROPOSED: "text-bg-info",
    Posting.Status.ENDED_EARLY: "text-bg-warning",
    Posting.Status.WITHDRAWN: "text-bg-light border",
}


class PostingRow(NamedTuple):
    """One row of the roster: what the template shows, labels and URL ready."""

    pk: int
    url: str
    cadre: str
    kind: str
    sending_unit: str
    receiving_unit: str
    title: str
    start_date: str  # dates as "YYYY-MM-DD"
    planned_end_date: str
    midterm_date: str
    status: str
    status_label: str
    status_badge: str


def posting_rows(values) -> list[PostingRow]:
    """PostingRows of ROW_FIELDS tuples; labels translated once per page, dates
    formatted here rather than by a filter in every cell."""
    kinds = {value: str(label) for value, label in Posting.Kind.choices}
    statuses = {value: str(label) for value, label in Posting.Status.choices}
    url = pk_urls("postings:detail")
    return [
        PostingRow(
            pk=pk,
            url=url(pk),
            cadre=cadre,
            kind=kinds.get(kind, kind),
            sending_unit=sending,
            receiving_unit=receiving,
            title=title,
            start_date=start.strftime("%Y-%m-%d"),
            planned_end_date=end.strftime("%Y-%m-%d"),
            midterm_date=midterm.strftime("%Y-%m-%d"),
            status=status,
            status_label=statuses.get(status, status),
            status_badge=STATUS_BADGES.get(status, "text-bg-secondary"),
        )
        for (
            pk,
            cadre,
            kind,
            sending,
            receiving,
            title,
            start,
            end,
            midterm,
            status,
        ) in values
    ]


def posting_export(request: AuthenticatedHttpRequest):
    _form, qs, _sort = filtered_postings(request)
    rows = qs.count()
    if queued := in_background(request, "roster", rows):
        return queued
    body = exports.posting_roster(qs)
    audit.record(
        request,
        "export",
        target=_("挂职名册"),
        details={"filters": audit.query_of(request)},
        rows=rows,
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(body, f"挂职名册-{stamp}.xlsx")


def batch_export(request: AuthenticatedHttpRequest, pk: int):
    """The batch summary (candidates, selected, placed; postings by kind and
    status), counting only what the user may see, as the batch page does."""
    batch = get_object_or_404(
        Batch.objects.visible_to(request.user).select_related("unit"), pk=pk
    )
    nominations = Nomination.objects.visible_to(request.user).filter(batch=batch)
    postings = Posting.objects.visible_to(request.user).filter(batch=batch)
    body = exports.batch_summary(batch, nominations=nominations, postings=postings)
    audit.record(
        request,
        "export",
        target=_("批次汇总：%(name)s（#%(pk)s）")
        % {"name": batch.name, "pk": batch.pk},
        details={"filters": audit.query_of(request)},
        rows=nominations.count() + postings.count(),
    )
    stamp = timezone.localtime().strftime("%Y%m%d")
    return xlsx_response(body, f"批次汇总-{batch.name}-{stamp}.xlsx")


@require_http_methods(["GET", "POST"])
def posting_create(request: AuthenticatedHttpRequest):
    form = PostingForm(
        request.POST or None, user=request.user, initial=request.GET.dict()
    )
    if posting := submit(
        request, form, partial(services.posting_create, by=request.user)
    ):
        messages.success(request, _("挂职已登记。"))
        return redirect(posting)
    return render(
        request,
        "form_page.html",
        {"form": form, "title": _("登记挂职"), "cancel_url": reverse("postings:list")},
    )


@require_http_methods(["GET", "POST"])
def posting_edit(request: AuthenticatedHttpRequest, pk: int):
    posting = get_object_or_404(Posting.objects.visible_to(request.user), pk=pk)
    form = PostingForm(request.POST or None, instance=posting, user=request.user)
    update = partial(services.posting_update, posting=posting, by=request.user)
    if submit(request, form, update):
        messages.success(request, _("已保存。"))
        return redirect(posting)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": _("修改挂职"),
            "cancel_url": posting.get_absolute_url(),
        },
    )


def notification_list(request: AuthenticatedHttpRequest):
    qs = Reminder.objects.visible_to(request.user).select_related("posting__cadre")
    if request.GET.get("show") == "unread":
        qs = qs.unread()
    page = paginate(request, qs)
    return render(
        request,
        "postings/notification_list.html",
        {
            "reminders": page,
            "show": request.GET.get("show", ""),
            **page_context(request, page),
        },
    )


@require_POST
def notification_read(request: AuthenticatedHttpRequest, pk: int):
    reminder = get_object_or_404(Reminder.objects.visible_to(request.user), pk=pk)
    reminder.mark_read()
    return redirect(reminder.posting)


@require_POST
def notifications_read_all(request: AuthenticatedHttpRequest):
    n = (
        Reminder.objects.visible_to(request.user)
        .unread()
        .update(read_at=timezone.now())
    )
    messages.info(request, _("已将%(n)d条提醒标为已读。") % {"n": n})
    return redirect("postings:notifications")


@require_POST
def posting_transition(request: AuthenticatedHttpRequest, pk: int, action: str):
    posting = get_object_or_404(Posting.objects.visible_to(request.user), pk=pk)
    if action not in services.TRANSITIONS:
        raise Http404
    form = TransitionForm(request.POST)
    move = partial(
        services.posting_transition, posting=posting, action=action, by=request.user
    )
    if moved := submit(request, form, move):
        label = services.TRANSITIONS[action][2]
        # The dates it set, named as the confirmation announced them.
        if changes := services.describe_changes(posting, moved):
            done = _("已办理“%(a)s”：%(c)s。") % {"a": label, "c": changes}
        else:
            done = _("已办理“%(a)s”。") % {"a": label}
        messages.success(request, done)
    else:
        for error in form.errors.values():
            messages.error(request, " ".join(error))
    return redirect(posting)


def _posting_action_page(
    request, pk: int, form_class, action, *, done: str, title: str
):
    """A form that acts on one posting through a service, then returns to it."""
    posting = get_object_or_404(Posting.objects.visible_to(request.user), pk=pk)
    form = form_class(request.POST or None)
    if submit(request, form, partial(action, posting=posting, by=request.user)):
        messages.success(request, done)
        return redirect(posting)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": f"{title}：{posting}",
            "cancel_url": posting.get_absolute_url(),
        },
    )


@require_http_methods(["GET", "POST"])
def posting_extend(request: AuthenticatedHttpRequest, pk: int):
    return _posting_action_page(
        request,
        pk,
        ExtensionForm,
        services.posting_extend,
        done=_("已延期。"),
        title=_("延期"),
    )


@require_http_methods(["GET", "POST"])
def assignment_add(request: AuthenticatedHttpRequest, pk: int):
    return _posting_action_page(
        request,
        pk,
        AssignmentForm,
        services.assignment_add,
        done=_("已添加岗位安排。"),
        title=_("添加岗位安排（轮岗/兼任）"),
    )


# --- Batches, selection, placement ------------------------------------------


def batch_list(request: AuthenticatedHttpRequest):
    batches = (
        Batch.objects.visible_to(request.user)
        .select_related("unit")
        .annotate(
            candidates=Count("nominations", distinct=True),
            selected=Count(
                "nominations",
                filter=Q(nominations__decision=Nomination.Decision.SELECTED),
                distinct=True,
            ),
            posted=Count("postings", distinct=True),
        )
        .order_by("-year", "-pk")
    )
    page = paginate(request, batches)
    return render(
        request,
        "postings/batch_list.html",
        {"batches": page, **page_context(request, page)},
    )


@require_http_methods(["GET", "POST"])
def batch_create(request: AuthenticatedHttpRequest):
    form = BatchForm(request.POST or None, user=request.user)
    if batch := submit(request, form, partial(services.batch_save, by=request.user)):
        messages.success(request, _("批次已创建。"))
        return redirect(batch)
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": _("新建批次"),
            "cancel_url": reverse("postings:batch_list"),
        },
    )


@require_http_methods(["GET", "POST"])
def batch_edit(request: AuthenticatedHttpRequest, pk: int):
    batch = get_object_or_404(Batch.objects.visible_to(request.user), pk=pk)
    form = BatchForm(request.POST or None, instance=batch, user=request.user)
    if submit(
        request, form, partial(services.batch_save, batch=batch, by=request.user)
    ):
        messages.success(request, _("已保存。"))
        return redirect(batch)
    return render(
        request,
        "form_page.html",
        {"form": form, "title": _("修改批次"), "cancel_url": batch.get_absolute_url()},
    )


def batch_detail(request: AuthenticatedHttpRequest, pk: int):
    batch = get_object_or_404(
        Batch.objects.visible_to(request.user).annotate(
            n_posts=correlated_count(OpenPost, batch="pk")
        ),
        pk=pk,
    )
    # Only what the user may see of the batch: a nomination needs its cadre
    # in scope, a posting its own scope (a cadre or posting moved out of the
    # jurisdiction stays in the batch, out of sight, and out of every count).
    nominations = Nomination.objects.visible_to(request.user).filter(batch=batch)
    postings = Posting.objects.visible_to(request.user).filter(batch=batch)
    counts, used = Counter(), Counter()
    for status, post, n in (
        postings.order_by().values_list("status", "open_post").annotate(n=Count("pk"))
    ):
        counts[status] += n
        if status != Posting.Status.WITHDRAWN:  # a withdrawn one frees its place
            used[post] += n
    # Ranks need every score; only the page's nominations are read in full.
    scores = list(
        nominations.values_list(
            "pk", "exam_score", "interview_score", "decision", named=True
        )
    )
    ranking = paginate(request, services.competitive_ranking(batch, scores))
    # The page's ids come from the scoped query above: reading them needs no
    # second scope check.
    rows = (
        Nomination.objects.filter(batch=batch)
        .select_related("cadre__unit", "decided_by")
        .in_bulk([r.nomination.pk for r in ranking])
    )
    ranking.object_list = _nomination_rows(
        [(r, rows[r.nomination.pk]) for r in ranking], batch, postings
    )
    # The posts and the postings are secondary here: shorter pages.
    side_page_size = min(ranking.paginator.per_page, 20)
    posts = paginate(
        request,
        batch.posts.select_related("receiving_unit").order_by("pk"),
        side_page_size,
        count=batch.n_posts,
        param="posts_page",
    )
    _label_posts(posts, used)
    live = postings.exclude(status=Posting.Status.WITHDRAWN)
    total = sum(n for status, n in counts.items() if status != Posting.Status.WITHDRAWN)
    selected = nominations.filter(decision=Nomination.Decision.SELECTED)
    n_selected = sum(1 for s in scores if s.decision == Nomination.Decision.SELECTED)
    explained = _postings_beyond_selection(live, selected, total, n_selected)
    chosen = Nomination.objects.filter(
        batch=batch, cadre=OuterRef("cadre_id"), decision=Nomination.Decision.SELECTED
    )
    postings = paginate(
        request,
        postings.select_related("cadre", "receiving_unit").annotate(
            selected=Exists(chosen)
        ),
        side_page_size,
        count=total,
        param="postings_page",
    )
    statuses = {value: str(label) for value, label in Posting.Status.choices}
    posting_url = pk_urls("postings:detail")
    for posting in postings:
        posting.url = posting_url(posting.pk)
        posting.status_label = statuses.get(posting.status, posting.status)
    reserve_only = request.GET.get("reserve") == "1"
    return render(
        request,
        "postings/batch_detail.html",
        {
            "batch": batch,
            "ranking": ranking,
            "ranking_pages": page_context(request, ranking),
            "posts": posts,
            "posts_pages": page_context(request, posts, "posts_page"),
            "postings": postings,
            "postings_pages": page_context(request, postings, "postings_page"),
            "status_counts": [
                (v, label, counts[v]) for v, label in Posting.Status.choices
            ],
            "explained": explained,
            # Where a decision returns to: this page of the tables.
            "back": request.GET.urlencode(),
            "nomination_form": NominationForm(
                user=request.user, reserve_only=reserve_only
            ),
            # The post form, seldom needed, only when asked for.
            "post_form": OpenPostForm() if request.GET.get("add_post") else None,
            "reserve_only": reserve_only,
            "create_url": reverse("postings:create")
            if role_may_use(request.user.role, "postings:create")
            else "",
            "terms": [
                (label, batch.term_months(c)) for c, label in PostCategory.choices
            ],
        },
    )


DECISION_BADGES = {
    Nomination.Decision.SELECTED: "text-bg-success",
    Nomination.Decision.REJECTED: "text-bg-secondary",
}


def _postings_beyond_selection(
    postings, selected, total: int, n_selected: int
) -> dict | None:
    """Why the batch holds more postings than selected candidates (n_selected
    of them, counted from the scores already read), when it does: postings of
    cadres it did not select (registered by hand), and further postings of a
    selected cadre."""
    if total <= n_selected:
        return None
    mine = postings.filter(cadre_id__in=selected.values("cadre_id"))
    inside = mine.count()
    return {
        "total": total,
        "selected": n_selected,
        "outside": total - inside,
        "repeated": inside - mine.values("cadre_id").distinct().count(),
    }


def _score_text(value) -> str:
    """A score as the score form shows it: unlocalized, "" when not entered."""
    return "" if value is None else f"{value:f}"


def _nomination_rows(ranked, batch: Batch, postings) -> list[dict]:
    """The ranking table's rows, (RankedNomination, its nomination read in
    full) each, as plain values: a dict is the template's quickest lookup,
    and 50 rows of some 30 cells each are most of the page. The labels are
    looked up in dicts made once per page (a get_FOO_display() per cell
    translates every choice each time; the labels are lazy, so translated
    here, once). A nomination with a posting in the batch offers the posting,
    if the user may see it, instead of a by-hand proposal."""
    ranks = {value: str(label) for value, label in Rank.choices}
    sources = {value: str(label) for value, label in Nomination.Source.choices}
    decisions = {value: str(label) for value, label in Nomination.Decision.choices}
    cadre_url = pk_urls("cadres:detail")
    score_url = pk_urls("postings:nomination_score")
    decide_url = pk_urls("postings:nomination_decide")
    posting_url = pk_urls("postings:detail")
    cadre_ids = [n.cadre_id for _r, n in ranked]
    # Any posting in the batch fixes the decision (nomination_decide), seen or
    # not, but a withdrawn one, which frees the candidate.
    posted = set(
        Posting.objects.filter(batch=batch, cadre_id__in=cadre_ids)
        .exclude(status=Posting.Status.WITHDRAWN)
        .values_list("cadre_id", flat=True)
    )
    seen = dict(
        postings.filter(cadre_id__in=cadre_ids)
        .order_by("start_date", "pk")
        .values_list("cadre_id", "pk")
    )
    return [
        {
            "pk": n.pk,
            "rank": "—" if r.rank is None else r.rank,
            "total": "—" if r.total is None else f"{r.total:f}",
            "cadre_id": n.cadre_id,
            "cadre": n.cadre.name,
            "cadre_url": cadre_url(n.cadre_id),
            "is_reserve": n.cadre.is_reserve,
            "unit": n.cadre.unit.name,
            "unit_id": n.cadre.unit_id,
            "speciality": n.cadre.speciality,
            "rank_label": ranks.get(n.cadre.rank, n.cadre.rank),
            "source_label": sources.get(n.source, n.source),
            "recommender": n.recommender,
            "score_url": score_url(n.pk),
            "exam_score": _score_text(n.exam_score),
            "interview_score": _score_text(n.interview_score),
            "decision": n.decision,
            "decision_label": decisions.get(n.decision, n.decision),
            "decision_badge": DECISION_BADGES.get(n.decision, "text-bg-light"),
            "decision_reason": n.decision_reason,
            "decided_by": str(n.decided_by) if n.decided_by else "",
            "decide_url": decide_url(n.pk),
            "posted": n.cadre_id in posted,
            "posting_url": (
                posting_url(seen[n.cadre_id]) if n.cadre_id in seen else ""
            ),
        }
        for r, n in ranked
    ]


def _label_posts(posts, used) -> None:
    kinds = {v: str(label) for v, label in OpenPost._meta.get_field("kind").choices}
    categories = {value: str(label) for value, label in PostCategory.choices}
    ranks = {value: str(label) for value, label in Rank.choices}
    for post in posts:
        post.used = used[post.pk]
        post.kind_label = kinds.get(post.kind, post.kind)
        post.category_label = categories.get(post.category, post.category)
        post.rank_label = ranks.get(post.rank, post.rank)


@require_POST
def nomination_add(request: AuthenticatedHttpRequest, pk: int):
    batch = get_object_or_404(Batch.objects.visible_to(request.user), pk=pk)
    form = NominationForm(request.POST, user=request.user)
    if submit(
        request, form, partial(services.nomination_add, batch=batch, by=request.user)
    ):
        messages.success(request, _("已加入人选。"))
    else:
        _flash_errors(request, form)
    return redirect(batch)


@require_POST
def nomination_score(request: AuthenticatedHttpRequest, pk: int):
    nomination = get_object_or_404(Nomination.objects.visible_to(request.user), pk=pk)
    form = ScoreForm(request.POST)
    score = partial(services.nomination_score, nomination=nomination, by=request.user)
    if submit(request, form, score):
        messages.success(request, _("已录入%(n)s的成绩。") % {"n": nomination.cadre})
    else:
        _flash_errors(request, form)
    return redirect(nomination.batch)


@require_POST
def nomination_decide(request: AuthenticatedHttpRequest, pk: int):
    nomination = get_object_or_404(Nomination.objects.visible_to(request.user), pk=pk)
    form = DecisionForm(request.POST)
    decide = partial(services.nomination_decide, nomination=nomination, by=request.user)
    if submit(request, form, decide):
        messages.success(request, _("已记录%(n)s的结果。") % {"n": nomination.cadre})
    else:
        _flash_errors(request, form)
    return _back_to_row(request, nomination)


# The batch page's own parameters: which page of each table, which cadres.
BATCH_PAGE_PARAMS = ("page", "posts_page", "postings_page", "reserve")


def _back_to_row(request, nomination: Nomination):
    """Back to the batch page the form was posted from, at the nomination's
    row, so whoever decides row after row keeps their place."""
    sent = QueryDict(request.POST.get("back", ""))
    query = urlencode([(k, sent[k]) for k in BATCH_PAGE_PARAMS if sent.get(k)])
    url = nomination.batch.get_absolute_url() + (f"?{query}" if query else "")
    return redirect(f"{url}#nomination-{nomination.pk}")


@require_POST
def open_post_add(request: AuthenticatedHttpRequest, pk: int):
    batch = get_object_or_404(Batch.objects.visible_to(request.user), pk=pk)
    form = OpenPostForm(request.POST)
    if submit(
        request, form, partial(services.open_post_add, batch=batch, by=request.user)
    ):
        messages.success(request, _("已添加岗位。"))
    else:
        _flash_errors(request, form)
    return redirect(batch)


def _flash_errors(request, form) -> None:
    """Forms posted from the batch page report their errors back there."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(
            request, f"{label}：{' '.join(errors)}" if label else " ".join(errors)
        )


@require_http_methods(["GET", "POST"])
def placement(request: AuthenticatedHttpRequest, pk: int):
    batch = get_object_or_404(Batch.objects.visible_to(request.user), pk=pk)
    if request.method == "POST":
        return _placement_accept(request, batch)
    candidates, posts = services.placement_inputs(batch, by=request.user)
    try:
        proposal, problem = placement_propose(candidates, posts), ""
    except Infeasible as exc:
        proposal, problem = [], str(exc)
    start = batch.mobilised_on or timezone.localdate()
    return render(
        request,
        "postings/placement.html",
        {
            "batch": batch,
            "proposal": proposal,
            "problem": problem,
            "posts": posts,
            "candidates": candidates,
            "clashes": services.placement_clashes(batch, candidates, start=start),
            "start": start,
            "total": round(sum(p.score for p in proposal), 1),
            "penalty": team_penalty(proposal),
            "team_limit": TEAM_LIMIT,
        },
    )


def _placement_accept(request: AuthenticatedHttpRequest, batch: Batch):
    pairs = []
    for cadre_id in request.POST.getlist("accept"):
        post_id = request.POST.get(f"post_{cadre_id}", "")
        if cadre_id.isdigit() and post_id.isdigit():
            pairs.append((int(cadre_id), int(post_id)))
    form = TransitionForm(
        {"on": request.POST.get("start"), "reason": request.POST.get("reason", "")}
    )
    if not form.is_valid():
        messages.error(request, _("请填写有效的到岗日期。"))
        return redirect("postings:placement", pk=batch.pk)
    try:
        created = services.placement_accept(
            batch=batch,
            pairs=pairs,
            by=request.user,
            start=form.cleaned_data["on"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("postings:placement", pk=batch.pk)
    messages.success(request, _("已生成%(n)d项拟派挂职。") % {"n": len(created)})
    return redirect(batch)
