"""Assessment's kinds of obligation (issue 17), registered in
AssessmentConfig.ready: the mid-term, end-of-term and annual reviews owed by
the org staff of the managing jurisdiction (DOMAIN.md rule 7), and, in a
collecting round, the host and org evaluations and the 民主测评 turnout, due
on the round's deadline."""

import datetime as dt
from collections import defaultdict

from django.db.models import OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cadres.models import Role
from guazhi.dates import add_months
from guazhi.queries import correlated_count
from obligations import rules
from obligations.kinds import done_day, first_record
from obligations.registry import Expected, Kind, Window, register
from records.rules import term_end

from . import config as round_config
from .ballots import turnout_reached
from .models import Assessment, BallotCode, Evaluation, Round, Source
from .services import ASSESSABLE

# The 民主测评 must reach its turnout this many days before the deadline.
BALLOT_DAYS_BEFORE_DEADLINE = 3


# --- Reviews of a posting: mid-term, end-of-term, annual -----------------------


def _review_due_days(window: Window, posting) -> dict[str, list[dt.date]]:
    before_end = rules.setting(window, "FINAL_ASSESSMENT_DAYS_BEFORE_END")
    end = term_end(posting)
    due = {
        Round.Kind.FINAL: [
            rules.final_assessment_due_on(end, posting.start_date, before_end)
        ],
        Round.Kind.ANNUAL: rules.annual_review_dates(posting.start_date, end),
    }
    due[Round.Kind.MIDTERM] = (
        [posting.midterm_date] if posting.midterm_date <= end else []
    )
    return due


def _months(day: dt.date) -> int:
    return day.year * 12 + day.month


def _may_appear(window: Window, posting, lead: dt.timedelta) -> bool:
    """Whether a daily run's window can hold the day one of the posting's
    reviews becomes known (its due day less `lead`): a cheap test on the
    mid-term, the end and the anniversaries, so that the due days are worked
    out only for the few postings it passes. A superset: `_review_due_days`
    decides."""
    low, high = window.since + lead, window.today + lead
    before_end = rules.setting(window, "FINAL_ASSESSMENT_DAYS_BEFORE_END")
    end = term_end(posting)
    final = rules.final_assessment_due_on(end, posting.start_date, before_end)
    if low < posting.midterm_date <= high or low < final <= high:
        return True
    if posting.start_date > window.since:  # begun within the window
        return True
    start = _months(posting.start_date)
    return any(
        m > 0 and m % 12 == 0 and low < add_months(posting.start_date, m) <= high
        for m in range(_months(low) - start, 1 + _months(high) - start)
    )


def _reviews_all(window: Window) -> dict[str, list[Expected]]:
    """Every review kind's obligations that appear in the window: the due
    days first, then the managing jurisdiction of only the postings that
    owe one (the org staff there owe it)."""
    lead = dt.timedelta(days=rules.setting(window, "ROUND_LEAD_DAYS"))
    owed = []
    for posting in rules.started_postings(window):
        if window.since is not None and not _may_appear(window, posting, lead):
            continue
        for kind, days in _review_due_days(window, posting).items():
            for due in days:
                if window.appears(max(posting.start_date, due - lead)):
                    owed.append((kind, posting.pk, due))
    where = rules.jurisdictions({pk for _kind, pk, _due in owed})
    found = defaultdict(list)
    for kind, pk, due in owed:
        if (unit := where.get(pk)) is not None:
            found[kind].append(
                Expected(
                    posting_id=pk, period=due, subject=None, due_on=due, unit_id=unit[0]
                )
            )
    return found


def _round_pages(obligations, user, round_kind) -> dict[int, str]:
    """{pk: the latest round of the kind that holds the obligation's posting,
    if `user` manages one; else the page that creates a round}, one query."""
    latest: dict[int, int] = {}
    for posting_id, round_id in (
        Assessment.objects.visible_to(user)
        .filter(
            posting_id__in={o.posting_id for o in obligations}, round__kind=round_kind
        )
        .order_by("-round__period_end")
        .values_list("posting_id", "round_id")
    ):
        latest.setdefault(posting_id, round_id)
    create = reverse("assessment:round_create")
    return {
        o.pk: (
            reverse("assessment:round_detail", args=[latest[o.posting_id]])
            if o.posting_id in latest
            else create
        )
        for o in obligations
    }


def _review_kind(key: str, label, round_kind: str) -> Kind:
    def expected(window: Window):
        return window.cached("reviews", lambda: _reviews_all(window))[round_kind]

    def fulfilled(open_obligations, today):
        if round_kind == Round.Kind.ANNUAL:
            return _annual_fulfilled(open_obligations)
        closed = Assessment.objects.filter(
            posting_id=OuterRef("posting_id"),
            round__kind=round_kind,
            round__status=Round.Status.CLOSED,
        )
        return first_record(open_obligations, closed, at="round__closed_at")

    return Kind(
        key=key,
        label=label,
        owed_by=Role.ORG_STAFF,
        expected=expected,
        fulfilled=fulfilled,
        fulfil_url=lambda o, user: _round_pages([o], user, round_kind)[o.pk],
        fulfil_urls=lambda group, user: _round_pages(group, user, round_kind),
        closed_by=(Round,),
        postings_of=lambda round_: (
            Q(posting__assessments__round_id=round_.pk) if round_.is_closed else None
        ),
        record_url=lambda o: reverse(
            "assessment:assessment_detail", args=[o.fulfilled_id]
        ),
    )


def _annual_fulfilled(open_obligations) -> dict:
    """An annual round (年度考核) closed over a period that meets the posting's
    year ending on the anniversary fulfils it."""
    open_ = list(open_obligations.values_list("pk", "posting_id", "period"))
    if not open_:
        return {}
    rows = Assessment.objects.filter(
        posting_id__in=open_obligations.values("posting_id"),
        round__kind=Round.Kind.ANNUAL,
        round__status=Round.Status.CLOSED,
    ).values_list(
        "pk",
        "posting_id",
        "round__period_start",
        "round__period_end",
        "round__closed_at",
    )
    by_posting = defaultdict(list)
    for row in rows:
        by_posting[row[1]].append(row)
    found = {}
    for pk, posting_id, anniversary in open_:
        year_start = add_months(anniversary, -12)
        for a_pk, _p, start, end, closed_at in sorted(
            by_posting[posting_id], key=lambda r: r[4]
        ):
            if start <= anniversary and end >= year_start:
                found[pk] = (done_day(closed_at), (Assessment, a_pk))
                break
    return found


# --- In a collecting round: evaluations and ballots ------------------------------


def _collecting(window: Window) -> list[tuple]:
    """(assessment pk, posting id, receiving unit id, round unit id, deadline,
    weighted sources) of every assessment of a collecting round."""

    def load():
        rounds = {
            r.pk: r
            for r in Round.objects.filter(
                status=Round.Status.COLLECTING
            ).select_related("template_version")
        }
        rows = Assessment.objects.filter(
            round_id__in=list(rounds),
            posting__status__in=ASSESSABLE,
        ).values_list("pk", "posting_id", "posting__receiving_unit_id", "round_id")
        out = []
        for pk, posting_id, receiving, round_id in rows:
            round_ = rounds[round_id]
            weights = round_config.Rules(round_.template_version.config).source_weights
            out.append(
                (pk, posting_id, receiving, round_.unit_id, round_.due_day(), weights)
            )
        return out

    return window.cached("collecting", load)


def _evaluation_kind(key: str, label, source: str, owed_by: str) -> Kind:
    def expected(window: Window):
        for pk, posting_id, receiving, round_unit, deadline, weights in _collecting(
            window
        ):
            if source in weights:
                yield Expected(
                    posting_id=posting_id,
                    period=deadline,
                    subject=(Assessment, pk),
                    due_on=deadline,
                    unit_id=receiving if owed_by == Role.HOST_LEADER else round_unit,
                )

    def fulfilled(open_obligations, today):
        submitted = Evaluation.objects.filter(
            assessment_id=OuterRef("subject_id"),
            source=source,
            status=Evaluation.Status.SUBMITTED,
        )
        return first_record(open_obligations, submitted, at="submitted_at")

    return Kind(
        key=key,
        label=label,
        owed_by=owed_by,
        expected=expected,
        fulfilled=fulfilled,
        fulfil_url=lambda o, user: reverse(
            "assessment:evaluate", args=[o.subject_id, source]
        ),
        scope_q=_round_in_scope,
        closed_by=(Evaluation,),
        postings_of=lambda evaluation: (
            Q(subject_id=evaluation.assessment_id)
            if evaluation.status == Evaluation.Status.SUBMITTED
            else None
        ),
        record_url=lambda o: reverse(
            "assessment:assessment_detail", args=[o.subject_id]
        ),
        per_posting=False,
    )


def _round_in_scope(user, prefix: str = "") -> Q:
    """An assessment's obligation is in scope only with its assessment, whose
    round must be too for org staff (Assessment.objects.visible_to). The
    obligation's posting is the assessment's, and Obligation.visible_to
    checks it already: only the round is left to test."""
    if getattr(user, "role", None) != Role.ORG_STAFF:
        return Q()
    in_scope = Assessment.objects.in_round_scope(user).values("pk")
    return Q(**{f"{prefix}subject_id__in": in_scope})


def _below_turnout(pks) -> set[int]:
    rows = (
        Assessment.objects.filter(pk__in=pks)
        .annotate(
            issued=correlated_count(BallotCode, group__session__assessment="pk"),
            cast=correlated_count(
                BallotCode.objects.filter(used=True), group__session__assessment="pk"
            ),
        )
        .values_list("pk", "issued", "cast", "ballot_session__min_turnout_pct")
    )
    return {
        pk
        for pk, issued, cast, min_pct in rows
        if min_pct is None
        or not turnout_reached(cast=cast, issued=issued, min_pct=min_pct)
    }


def _ballot_expected(window: Window):
    rows = [r for r in _collecting(window) if Source.DEMOCRATIC in r[5]]
    low = _below_turnout([r[0] for r in rows]) if rows else set()
    for pk, posting_id, _receiving, round_unit, deadline, _w in rows:
        if pk in low:
            yield Expected(
                posting_id=posting_id,
                period=deadline,
                subject=(Assessment, pk),
                due_on=deadline - dt.timedelta(days=BALLOT_DAYS_BEFORE_DEADLINE),
                unit_id=round_unit,
            )


def _ballot_fulfilled(open_obligations, today):
    """Turnout reached: done the day the sweep sees it. Not closed on a
    ballot's save, so that no timestamp follows a single ballot."""
    open_ = dict(open_obligations.values_list("subject_id", "pk"))
    if not open_:
        return {}
    low = _below_turnout(list(open_))
    return {pk: (today, (Assessment, a)) for a, pk in open_.items() if a not in low}


def _ballot_url(obligation, user) -> str:
    return reverse("assessment:ballot_session", args=[obligation.subject_id])


def register_all() -> None:
    register(_review_kind("midterm_assessment", _("中期考核"), Round.Kind.MIDTERM))
    register(_review_kind("final_assessment", _("期满考核"), Round.Kind.FINAL))
    register(_review_kind("annual_review", _("年度考核"), Round.Kind.ANNUAL))
    register(
        _evaluation_kind(
            "host_evaluation", _("接收单位评价"), Source.HOST, Role.HOST_LEADER
        )
    )
    register(
        _evaluation_kind("org_evaluation", _("组织部评价"), Source.ORG, Role.ORG_STAFF)
    )
    register(
        Kind(
            key="ballot_turnout",
            label=_("民主测评参与率未达标"),
            owed_by=Role.ORG_STAFF,
            expected=_ballot_expected,
            fulfilled=_ballot_fulfilled,
            fulfil_url=_ballot_url,
            scope_q=_round_in_scope,
            record_url=_ballot_url,
            per_posting=False,
        )
    )
