"""The kinds of obligation whose records live in the dossier (records):
monthly notes, work logs, the four reports, the appraisal, the follow-up
visit and support needs. Assessment adds its own (assessment/obligations.py).
"""

import datetime as dt
from collections import defaultdict

from django.db.models import F, OuterRef, Q, Subquery
from django.db.models import Window as SQLWindow
from django.db.models.functions import Lag
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cadres.models import Role
from guazhi.dates import add_months
from postings.models import Posting
from records.models import (
    Appraisal,
    FollowUpVisit,
    MonthlyNote,
    Report,
    SupportNeed,
    WorkLog,
)
from records.rules import expected_note_months, report_due_dates, term_end

from . import rules
from .registry import Expected, Kind, Window, register


def done_day(value) -> dt.date:
    """The Asia/Shanghai day of a filing time (or a date as it is)."""
    if isinstance(value, dt.datetime):
        return timezone.localdate(value)
    return value


class FirstRecords(dict):
    """What `first_record` found, with how it found it, so that the sweep can
    close them in a few UPDATEs (the record's id and day read in the database)
    rather than row by row."""

    def __init__(self, found, first, at):
        super().__init__(found)
        self.first, self.at = first, at


def first_record(open_obligations, records, at: str = "created_at") -> dict:
    """{obligation pk: (done day, (model, record pk))} for the open obligations
    that one of `records` (filtered on OuterRef into the obligation) fulfils:
    the earliest by `at`. One query, whatever the number of obligations."""
    first = records.order_by(at, "pk")
    rows = (
        open_obligations.annotate(
            _record=Subquery(first.values("pk")[:1]),
            _at=Subquery(first.values(at)[:1]),
        )
        .filter(_record__isnull=False)
        .values_list("pk", "_record", "_at")
    )
    found = {pk: (done_day(at_), (records.model, rec)) for pk, rec, at_ in rows}
    return FirstRecords(found, first, at)


def _posting_page(obligation) -> str:
    return reverse("postings:detail", args=[obligation.posting_id])


# --- Monthly notes (月小结) -----------------------------------------------------


def _new_note_months(window: Window) -> list[dt.date] | None:
    """The months that end within a daily run's window (their notes become
    owed on the first of the next month); None for the catch-up (all)."""
    if window.since is None:
        return None
    months, first = [], window.today.replace(day=1)
    while first > window.since:
        months.append(add_months(first, -1))
        first = add_months(first, -1)
    return months


def _note_expected(window: Window):
    due_day = rules.setting(window, "NOTE_DUE_DAY")
    new_months = _new_note_months(window)
    if new_months == []:
        return
    appears: dict[dt.date, bool] = {}
    for posting in rules.started_postings(window):
        if new_months and term_end(posting) < min(new_months):
            continue
        start = posting.start_date
        if new_months:
            # Only the new months: the rule from the first of them on (the
            # posting is this run's copy; its start is put back below).
            posting.start_date = max(start, min(new_months))
        months = expected_note_months(posting, window.today)
        posting.start_date = start
        for month in months:
            if month not in appears:  # the same few months for every posting
                appears[month] = window.appears(add_months(month, 1))
            if appears[month]:
                yield Expected(
                    posting_id=posting.pk,
                    period=month,
                    subject=None,
                    due_on=rules.note_due_on(month, due_day),
                    unit_id=posting.receiving_unit_id,
                )


def _note_fulfilled(open_obligations, today):
    notes = MonthlyNote.objects.filter(
        posting_id=OuterRef("posting_id"), month=OuterRef("period")
    )
    return first_record(open_obligations, notes)


def _note_url(obligation, user) -> str:
    url = reverse("cadres:note_create", args=[obligation.posting_id])
    return f"{url}?month={obligation.period:%Y-%m}"


# --- Work logs (日记录) ---------------------------------------------------------


def _worklog_expected(window: Window):
    gap = rules.setting(window, "WORKLOG_GAP_DAYS")
    # The last log of each posting: one seek in the (posting, date) index.
    last = WorkLog.objects.filter(posting=OuterRef("pk")).order_by("-date")
    rows = (
        Posting.objects.active()
        .filter(window.posting_q())
        .annotate(last=Subquery(last.values("date")[:1]))
        .order_by()
        .values_list("pk", "start_date", "last")
    )
    for pk, start, last in rows:
        gap_start = last + dt.timedelta(days=1) if last else start
        due = rules.worklog_gap_due_on(gap_start, gap)
        if window.appears(due):
            yield Expected(
                posting_id=pk, period=gap_start, subject=None, due_on=due, unit_id=None
            )
    if window.since is None:
        yield from _past_worklog_gaps(window, gap)


def _past_worklog_gaps(window: Window, gap: int):
    """The catch-up's (and a changed posting's) gaps that a later log ended:
    each run of `gap` days without a log, from the start or from a log to the
    next log, was owed a log on its last day and was met late by that log.
    One query over the logs with the date of the one before (a window
    function); the gap still open is the daily rule's above."""
    postings = Posting.objects.filter(window.posting_q(), status__in=rules.STARTED)
    starts = dict(postings.order_by().values_list("pk", "start_date"))
    previous = SQLWindow(
        Lag("date"), partition_by=[F("posting_id")], order_by=F("date").asc()
    )
    rows = (
        WorkLog.objects.filter(posting_id__in=postings.values("pk"))
        .annotate(previous=previous)
        .order_by()
        .values_list("posting_id", "date", "previous")
    )
    for posting_id, date, before in rows:
        gap_start = before + dt.timedelta(days=1) if before else starts[posting_id]
        due = rules.worklog_gap_due_on(gap_start, gap)
        if due < date and window.appears(due):
            yield Expected(
                posting_id=posting_id,
                period=gap_start,
                subject=None,
                due_on=due,
                unit_id=None,
            )


def _worklog_fulfilled(open_obligations, today):
    logs = WorkLog.objects.filter(
        posting_id=OuterRef("posting_id"), date__gte=OuterRef("period")
    )
    return first_record(open_obligations, logs)


def _worklog_url(obligation, user) -> str:
    return reverse("cadres:worklog_create", args=[obligation.posting_id])


# --- Reports (半年书面汇报, 调研报告, 期满工作总结, 述职报告) ------------------------


def _months(day: dt.date) -> int:
    return day.year * 12 + day.month


def _report_expected_all(window: Window) -> dict[str, list[Expected]]:
    """Every report kind's expected slots, computed in one pass."""
    lead = dt.timedelta(days=rules.RECORD_LEAD_DAYS)
    found = defaultdict(list)
    if window.since is not None:
        low, high = window.since + lead, window.today + lead
    for posting in rules.started_postings(window):
        if window.since is not None:
            # A daily run: skip, without computing the slots, a posting none
            # of whose possible due days falls in (low, high].
            end = term_end(posting)
            ends = (end, end - dt.timedelta(days=30), posting.midterm_date)
            start = _months(posting.start_date)
            months = range(_months(low) - start, 1 + _months(high) - start)
            if not any(low < d <= high for d in ends) and not any(
                m > 0 and m % 6 == 0 and low < add_months(posting.start_date, m) <= high
                for m in months
            ):
                continue
        for kind, dates in report_due_dates(posting).items():
            for due in dates:
                if window.appears(due - lead):
                    found[kind].append(
                        Expected(
                            posting_id=posting.pk,
                            period=due,
                            subject=None,
                            due_on=due,
                            unit_id=None,
                        )
                    )
    return found


def _report_kind(report_kind: str) -> Kind:
    def expected(window: Window):
        return window.cached("reports", lambda: _report_expected_all(window))[
            report_kind
        ]

    def fulfilled(open_obligations, today):
        reports = Report.objects.filter(
            posting_id=OuterRef("posting_id"),
            kind=report_kind,
            due_date=OuterRef("period"),
        )
        return first_record(open_obligations, reports)

    def fulfil_url(obligation, user) -> str:
        url = reverse("cadres:report_create", args=[obligation.posting_id])
        return f"{url}?kind={report_kind}"

    return Kind(
        key=f"report_{report_kind}",
        label=Report.Kind(report_kind).label,
        owed_by=Role.CADRE,
        expected=expected,
        fulfilled=fulfilled,
        fulfil_url=fulfil_url,
        closed_by=(Report,),
        record_url=lambda o: reverse("cadres:report_edit", args=[o.fulfilled_id]),
    )


# --- The appraisal (组织鉴定) ----------------------------------------------------


def _appraisal_expected(window: Window):
    lead = dt.timedelta(days=rules.RECORD_LEAD_DAYS)
    for posting in rules.started_postings(window):
        due = term_end(posting)
        if window.appears(max(posting.start_date, due - lead)):
            yield Expected(
                posting_id=posting.pk,
                period=due,
                subject=None,
                due_on=due,
                unit_id=posting.receiving_unit_id,
            )


def _appraisal_fulfilled(open_obligations, today):
    submitted = Appraisal.objects.filter(
        posting_id=OuterRef("posting_id"), status=Appraisal.Status.SUBMITTED
    )
    return first_record(open_obligations, submitted, at="submitted_at")


# --- The follow-up visit (回访) --------------------------------------------------


def _visit_expected(window: Window):
    months = rules.setting(window, "VISIT_MONTHS_AFTER_END")
    lead = dt.timedelta(days=rules.RECORD_LEAD_DAYS)
    for posting in rules.started_postings(window):
        if posting.status not in rules.ENDED or posting.ended_on is None:
            continue
        due = rules.visit_due_on(posting.ended_on, months)
        if window.appears(max(posting.ended_on, due - lead)):
            yield Expected(
                posting_id=posting.pk,
                period=due,
                subject=None,
                due_on=due,
                unit_id=posting.sending_unit_id,
            )


def _visit_fulfilled(open_obligations, today):
    visits = FollowUpVisit.objects.filter(posting_id=OuterRef("posting_id"))
    return first_record(open_obligations, visits)


# --- Open support needs (后勤保障) ------------------------------------------------


def _support_expected(window: Window):
    """Open support needs, each owed by the org staff of its posting's
    managing jurisdiction: the needs first (a small table, no join), then
    the jurisdictions of their postings."""
    days = rules.setting(window, "SUPPORT_OPEN_DAYS")
    needs = SupportNeed.objects.filter(status=SupportNeed.Status.OPEN)
    if window.since is not None:
        since = timezone.make_aware(dt.datetime.combine(window.since, dt.time.min))
        needs = needs.filter(Q(raised_on__gt=window.since) | Q(created_at__gt=since))
    rows = [
        row
        for row in needs.order_by().values_list("pk", "raised_on", "posting_id")
        if window.appears(row[1])
    ]
    if not rows:
        return
    begun = set(
        Posting.objects.filter(
            window.posting_q(),
            pk__in={posting_id for _pk, _raised, posting_id in rows},
            status__in=rules.STARTED,
        ).values_list("pk", flat=True)
    )
    where = rules.jurisdictions(begun)
    for pk, raised_on, posting_id in rows:
        if posting_id in where:
            yield Expected(
                posting_id=posting_id,
                period=raised_on,
                subject=(SupportNeed, pk),
                due_on=rules.support_due_on(raised_on, days),
                unit_id=where[posting_id][0],
            )


def _support_fulfilled(open_obligations, today):
    resolved = SupportNeed.objects.filter(
        pk=OuterRef("subject_id"), status=SupportNeed.Status.RESOLVED
    )
    return first_record(open_obligations, resolved, at="resolved_at")


def _support_url(obligation, user) -> str:
    return reverse("cadres:support_resolve", args=[obligation.subject_id])


def register_all() -> None:
    register(
        Kind(
            key="monthly_note",
            label=_("月小结"),
            owed_by=Role.HOST_LEADER,
            expected=_note_expected,
            fulfilled=_note_fulfilled,
            fulfil_url=_note_url,
            closed_by=(MonthlyNote,),
        )
    )
    register(
        Kind(
            key="work_log",
            label=_("日记录"),
            owed_by=Role.CADRE,
            expected=_worklog_expected,
            fulfilled=_worklog_fulfilled,
            fulfil_url=_worklog_url,
            closed_by=(WorkLog,),
            record_url=lambda o: reverse("cadres:worklog_edit", args=[o.fulfilled_id]),
        )
    )
    for report_kind in Report.Kind.values:
        register(_report_kind(report_kind))
    register(
        Kind(
            key="appraisal",
            label=_("组织鉴定"),
            owed_by=Role.HOST_LEADER,
            expected=_appraisal_expected,
            fulfilled=_appraisal_fulfilled,
            fulfil_url=lambda o, user: reverse(
                "cadres:appraisal_edit", args=[o.posting_id]
            ),
            closed_by=(Appraisal,),
            postings_of=lambda appraisal: (
                Q(posting_id=appraisal.posting_id)
                if appraisal.status == Appraisal.Status.SUBMITTED
                else None
            ),
            record_url=lambda o: reverse("cadres:appraisal_edit", args=[o.posting_id]),
        )
    )
    register(
        Kind(
            key="follow_up_visit",
            label=_("回访"),
            owed_by=Role.HOME_CONTACT,
            expected=_visit_expected,
            fulfilled=_visit_fulfilled,
            fulfil_url=lambda o, user: reverse(
                "cadres:visit_create", args=[o.posting_id]
            ),
            closed_by=(FollowUpVisit,),
        )
    )
    register(
        Kind(
            key="support_need",
            label=_("后勤保障需求待解决"),
            owed_by=Role.ORG_STAFF,
            expected=_support_expected,
            fulfilled=_support_fulfilled,
            fulfil_url=_support_url,
            closed_by=(SupportNeed,),
            postings_of=lambda need: (
                Q(subject_id=need.pk, posting_id=need.posting_id)
                if need.status == SupportNeed.Status.RESOLVED
                else None
            ),
        )
    )
