"""一人一档: everything recorded about one cadre, as one timeline.

`load_dossier` reads a cadre's records with one query per record kind,
whatever their number, and the rest is plain Python over those rows: the
merged timeline, the due schedules, the completeness of each posting and the
summary panel. The page, the print view and the Excel export all use it.
"""

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, IntegerField, Model, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessment.models import Assessment, Round
from guazhi.access import role_may_use
from postings.models import Posting

from .models import (
    Appraisal,
    Attachment,
    Cadre,
    Commendation,
    FollowUpVisit,
    MonthlyNote,
    NoteMonthLock,
    Report,
    SupportNeed,
    SymposiumAttendance,
    Talk,
    Training,
    Warning,
    WorkLog,
)

# --- Dates and schedules -----------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def term_end(posting: Posting) -> dt.date:
    return posting.ended_on or posting.planned_end_date


def has_ended(posting: Posting) -> bool:
    return posting.status in (Posting.Status.COMPLETED, Posting.Status.ENDED_EARLY)


def expected_note_months(posting: Posting, today: dt.date) -> list[dt.date]:
    """Months of the term that have ended: each is owed a monthly note."""
    if posting.status == Posting.Status.PROPOSED:
        return []
    months, month = [], posting.start_date.replace(day=1)
    last, current = term_end(posting).replace(day=1), today.replace(day=1)
    while month <= last and month < current:
        months.append(month)
        month = (
            month.replace(month=month.month + 1)
            if month.month < 12
            else month.replace(year=month.year + 1, month=1)
        )
    return months


def report_due_dates(posting: Posting) -> dict[str, list[dt.date]]:
    """When each kind of report falls due (seed 004, DOMAIN.md rule 8).

    A written report every six months, one research report a month before the
    end, the end-of-term summary at the end, and a self-review (述职) at the
    mid-term and the end-of-term assessments.
    """
    end = term_end(posting)
    semiannual, k = [], 1
    while (due := add_months(posting.start_date, 6 * k)) < end:
        semiannual.append(due)
        k += 1
    research = max(posting.start_date, end - dt.timedelta(days=30))
    reviews = sorted({d for d in (posting.midterm_date, end) if d <= end})
    return {
        Report.Kind.SEMIANNUAL: semiannual,
        Report.Kind.RESEARCH: [research],
        Report.Kind.FINAL_SUMMARY: [end],
        Report.Kind.SELF_REVIEW: reviews,
    }


def open_report_slots(posting: Posting, filed: dict[str, int]) -> dict[str, dt.date]:
    """The next unfilled due date per report kind, given how many are filed."""
    return {
        kind: dates[filed.get(kind, 0)]
        for kind, dates in report_due_dates(posting).items()
        if filed.get(kind, 0) < len(dates)
    }


@dataclass(frozen=True)
class Slot:
    kind: str
    due: dt.date
    report: Report | None

    @property
    def label(self) -> str:
        return str(Report.Kind(self.kind).label)


def report_schedule(posting: Posting, reports: list[Report]) -> list[Slot]:
    """Due slots in date order; the n-th report of a kind fills its n-th slot."""
    by_kind = defaultdict(list)
    for report in sorted(reports, key=lambda r: (r.due_date, r.pk)):
        by_kind[report.kind].append(report)
    slots = []
    for kind, dates in report_due_dates(posting).items():
        filed = by_kind[kind]
        slots += [
            Slot(kind, due, filed[i] if i < len(filed) else None)
            for i, due in enumerate(dates)
        ]
    return sorted(slots, key=lambda s: s.due)


# --- Month locks and warning levels -------------------------------------------


def first_open_month(today: dt.date) -> dt.date:
    """The earliest month whose notes the automatic lock leaves open `today`:
    a month locks by itself `MONTHLY_NOTE_LOCK_DAYS` days after its end."""
    return (today - dt.timedelta(days=settings.MONTHLY_NOTE_LOCK_DAYS)).replace(day=1)


def month_lock_reason(
    posting: Posting, month: dt.date, locks: list[NoteMonthLock], today: dt.date
) -> str:
    """Why notes of `month` on `posting` may no longer be written, or "" while
    they may: a lock of org staff over the posting, or the automatic one."""
    month = month.replace(day=1)
    for lock in locks:
        if lock.month == month and lock.covers(posting):
            return _("%(month)s的月小结已由%(who)s于%(at)s锁定，不能再修改。") % {
                "month": f"{month:%Y年%m月}",
                "who": lock.locked_by,
                "at": timezone.localtime(lock.locked_at).strftime("%Y-%m-%d"),
            }
    if month < first_open_month(today):
        return _("%(month)s的月小结在月末%(days)s天后已自动锁定，不能再修改。") % {
            "month": f"{month:%Y年%m月}",
            "days": settings.MONTHLY_NOTE_LOCK_DAYS,
        }
    return ""


def note_lock_reason(
    note: MonthlyNote, locks: list[NoteMonthLock], today: dt.date
) -> str:
    """Why a monthly note may no longer be edited, or "" while it may."""
    return month_lock_reason(note.posting, note.month, locks, today)


def mark_locked(notes, locks=None) -> None:
    """Set `lock_reason` on each note ("" while editable), one query for all
    (none when the caller has read the locks that may cover them)."""
    notes = list(notes)
    if locks is None:
        locks = NoteMonthLock.objects.filter(
            month__in={n.month for n in notes}
        ).select_related("unit", "locked_by")
    locks, today = list(locks), timezone.localdate()
    for note in notes:
        note.lock_reason = note_lock_reason(note, locks, today)


# Reports falling due within this many days count as "due" on the summary.
DUE_SOON_DAYS = 30

LEVEL_ORDER = [
    Warning.Level.NONE,
    Warning.Level.BLUE,
    Warning.Level.YELLOW,
    Warning.Level.RED,
]


def warning_level(points: int) -> str:
    """The level that a period's points reach (thresholds in settings)."""
    level = Warning.Level.NONE
    for candidate in LEVEL_ORDER[1:]:
        if points >= settings.WARNING_THRESHOLDS[candidate.value]:
            level = candidate
    return level


def period_points(warnings, *, on: dt.date) -> int:
    """Points of the warnings in force within the period that ends on `on`."""
    since = on - dt.timedelta(days=settings.WARNING_PERIOD_DAYS)
    return sum(
        w.points
        for w in warnings
        if w.status == Warning.Status.ACTIVE and since < w.occurred_on <= on
    )


def latest_assessment_grade(assessments) -> str | None:
    """The grade of the cadre's newest assessment with a stored result."""
    graded = [a for a in assessments if a.grade]
    if not graded:
        return None
    latest = max(graded, key=lambda a: (a.round.period_end, a.round.closed_at, a.pk))
    return str(latest.get_grade_display())


# --- Record kinds ----------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How one record kind appears in the dossier, the print view and the export."""

    key: str
    model: type[Model]
    date: Callable  # record -> the date it is about
    title: Callable  # record -> one line
    fields: tuple[str, ...]
    edit_url: str = ""  # URL name of the author's edit page
    history: str = ""  # key of the record's history page
    name: str = ""  # when not the model's verbose name
    related: tuple[str, ...] = ("author",)  # select_related: who filed it
    # (posting ids, user) -> the kind's records, if not the plain query
    queryset: Callable | None = None
    finish: Callable | None = None  # (rows, user): what the rows need after loading

    @property
    def label(self) -> str:
        return str(self.name or self.model._meta.verbose_name)

    def records(self, posting_ids: list[int], user) -> QuerySet:
        """The kind's records of the postings `posting_ids` (already scoped)."""
        if self.queryset:
            return self.queryset(posting_ids, user)
        return self.model.objects.filter(posting_id__in=posting_ids).select_related(
            *self.related
        )


def _local_date(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


def _assessments(posting_ids: list[int], user) -> QuerySet:
    """考核结果: the assessments `user` may see (for org staff: their round
    too) of the postings whose round has closed (their results are stored),
    each with `ranked` (how many were ranked in the round)."""
    ranked = (
        Assessment.objects.filter(round=OuterRef("round_id"), rank__isnull=False)
        .order_by()
        .values("round")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Assessment.objects.visible_to(user)
        .filter(posting_id__in=posting_ids, round__status=Round.Status.CLOSED)
        .select_related("round__unit")
        .defer("detail")
        .annotate(ranked=Subquery(ranked, output_field=IntegerField()))
    )


def _finish_assessments(rows, user) -> None:
    """Each assessment gets `author` (the round's unit) and `created_at` (the
    close) for the timeline, and `detail_url` when `user` may open the
    explanation (whoever may open it sees the round: `_assessments`)."""
    may_open = role_may_use(user.role, "assessment:assessment_detail")
    for a in rows:
        a.author, a.created_at = a.round.unit, a.round.closed_at
        a.detail_url = (
            reverse("assessment:assessment_detail", args=[a.pk]) if may_open else ""
        )


def _assessment_title(a) -> str:
    text = _("%(round)s（%(kind)s）：%(grade)s") % {
        "round": a.round.name,
        "kind": a.round.get_kind_display(),
        "grade": a.get_grade_display() or _("未评定"),
    }
    if a.score is not None:
        text += _("，%(score)s分") % {"score": a.score}
    if a.rank:
        text += _("，第%(rank)s名/共%(n)s人") % {"rank": a.rank, "n": a.ranked}
    return text


KINDS = [
    Kind(
        "worklog",
        WorkLog,
        date=lambda r: r.date,
        title=lambda r: _("工作日志"),
        fields=("content",),
        edit_url="cadres:worklog_edit",
    ),
    Kind(
        "note",
        MonthlyNote,
        date=lambda r: month_end(r.month),
        title=lambda r: _("%(m)s月小结") % {"m": f"{r.month:%Y年%m月}"},
        fields=(
            "days_present",
            "days_absent",
            "days_leave",
            "work_done",
            "learning",
            "conduct",
            "comment",
        ),
        edit_url="cadres:note_edit",
        history="note",
    ),
    Kind(
        "report",
        Report,
        date=lambda r: _local_date(r.created_at),
        title=lambda r: f"{r.get_kind_display()}：{r.title}",
        fields=("kind", "title", "due_date", "body"),
        edit_url="cadres:report_edit",
        history="report",
    ),
    Kind(
        "talk",
        Talk,
        date=lambda r: r.talked_on,
        title=lambda r: _("%(a)s 与 %(b)s 谈心谈话") % {"a": r.talker, "b": r.talkee},
        fields=("talker", "talkee", "content", "outcome", "follow_up"),
        edit_url="cadres:talk_edit",
    ),
    Kind(
        "symposium",
        SymposiumAttendance,
        date=lambda r: r.symposium.held_on,
        title=lambda r: r.symposium.title,
        fields=(),
        name=_("座谈会"),
        related=("symposium__author",),
    ),
    Kind(
        "training",
        Training,
        date=lambda r: r.start_date,
        title=lambda r: r.name,
        fields=("name", "organiser", "start_date", "end_date", "hours", "result"),
        edit_url="cadres:training_edit",
    ),
    Kind(
        "commendation",
        Commendation,
        date=lambda r: r.awarded_on,
        title=lambda r: r.title,
        fields=("title", "issuer", "description"),
        edit_url="cadres:commendation_edit",
    ),
    Kind(
        "visit",
        FollowUpVisit,
        date=lambda r: r.visited_on,
        title=lambda r: _("回访：%(who)s") % {"who": r.visitors},
        fields=("visitors", "findings", "feedback"),
        edit_url="cadres:visit_edit",
    ),
    Kind(
        "support",
        SupportNeed,
        date=lambda r: r.raised_on,
        title=lambda r: f"{r.get_category_display()}（{r.get_status_display()}）",
        fields=(
            "category",
            "status",
            "description",
            "resolution",
            "resolved_by",
            "resolved_at",
        ),
        related=("author", "resolved_by"),
    ),
    Kind(
        "warning",
        Warning,
        date=lambda r: r.occurred_on,
        title=lambda r: (
            _("%(level)s · %(dim)s方面扣%(points)s分")
            % {
                "level": r.get_level_display(),
                "dim": r.get_dimension_display(),
                "points": r.points,
            }
        ),
        fields=(
            "level",
            "dimension",
            "points",
            "period_points",
            "description",
            "status",
            "revoke_reason",
            "revoked_by",
            "revoked_at",
        ),
        history="warning",
        related=("author", "revoked_by"),
    ),
    Kind(
        "appraisal",
        Appraisal,
        date=lambda r: _local_date(r.submitted_at or r.updated_at),
        title=lambda r: _("组织鉴定（%(s)s）") % {"s": r.get_status_display()},
        fields=("status", "political", "performance", "conduct", "overall"),
        history="appraisal",
    ),
    Kind(
        "assessment",
        Assessment,
        date=lambda r: r.round.period_end,
        title=_assessment_title,
        fields=("score", "raw_grade", "grade", "grade_reason"),
        name=_("考核结果"),
        queryset=_assessments,
        finish=_finish_assessments,
    ),
]
KIND_BY_KEY = {k.key: k for k in KINDS}


def display(record: Model, name: str) -> str:
    """A field's value as the dossier shows it: choice labels, local dates."""
    value = getattr(record, name)
    if value is None or value == "":
        return ""
    if record._meta.get_field(name).choices:
        return str(getattr(record, f"get_{name}_display")())
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def field_label(model: type[Model], name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def record_fields(key: str, record: Model) -> list[tuple[str, str]]:
    """(label, value) of the fields a kind shows, the empty ones left out."""
    spec = KIND_BY_KEY[key]
    pairs = [(field_label(spec.model, n), display(record, n)) for n in spec.fields]
    return [(label, value) for label, value in pairs if value]


# --- Loading a dossier ------------------------------------------------------


@dataclass
class Entry:
    kind: Kind
    record: Model
    posting: Posting
    date: dt.date
    when: str  # the date as shown: a day, or a month for monthly notes
    title: str
    fields: list[tuple[str, str]]
    author: object
    created_at: dt.datetime
    muted: bool = False  # a revoked warning, a draft appraisal
    attendees: list[str] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)  # (name, URL)
    # Links, for the user the entry is made for (none on paper): only what
    # their role and the host-write rule allow.
    edit_url: str = ""
    revoke_url: str = ""  # an active warning
    resolve_url: str = ""  # an open support need
    detail_url: str = ""  # how an assessment's result was computed
    history_url: str = ""


@dataclass
class PostingCheck:
    """Which records a posting owes and which of them are missing."""

    posting: Posting
    expected: int
    missing: list[str]

    @property
    def done(self) -> int:
        return self.expected - len(self.missing)

    @property
    def percent(self) -> int:
        return 100 if not self.expected else round(100 * self.done / self.expected)

    @property
    def bar_css(self) -> str:
        if self.percent == 100:
            return "bg-success"
        return "bg-warning" if self.percent >= 60 else "bg-danger"

    @property
    def end(self) -> dt.date:
        return term_end(self.posting)


@dataclass
class Summary:
    current: Posting | None
    days_served: int | None
    notes_filed: int
    notes_expected: int
    reports_due: list[Slot]
    reports_overdue: list[Slot]
    warning_level: str
    warning_points: int
    grade: str | None
    open_needs: int

    @property
    def warning_label(self) -> str:
        return Warning.Level(self.warning_level).label

    @property
    def warning_css(self) -> str:
        return WARNING_CSS[self.warning_level]


WARNING_CSS = {
    Warning.Level.NONE: "text-bg-secondary",
    Warning.Level.BLUE: "text-bg-primary",
    Warning.Level.YELLOW: "text-bg-warning",
    Warning.Level.RED: "text-bg-danger",
}


@dataclass
class Dossier:
    cadre: Cadre
    postings: list[Posting]
    records: dict[str, list]  # kind key -> rows, every posting
    locks: list[NoteMonthLock]
    today: dt.date
    # kind key -> posting id -> rows (`of`)
    _by_posting: dict = field(default_factory=dict, init=False, repr=False)
    # what checks and the summary both compute, per posting
    _memo: dict = field(default_factory=dict, init=False, repr=False)

    def entries(self, *, kind: str = "", posting_id: int | None = None, user=None):
        """The merged timeline, newest first, optionally of one kind or posting."""
        return [
            self.entry(spec, record, user)
            for spec, record in self.timeline(kind=kind, posting_id=posting_id)
        ]

    def timeline(self, *, kind: str = "", posting_id: int | None = None):
        """(kind, record) of `entries`, in their order: a page of the timeline
        makes entries of its own records only."""
        out = []
        for spec in KINDS:
            if kind and spec.key != kind:
                continue
            subject = "symposium" if spec.key == "symposium" else ""
            for record in self.records[spec.key]:
                if posting_id and record.posting_id != posting_id:
                    continue
                created = getattr(record, subject) if subject else record
                out.append(
                    ((spec.date(record), created.created_at, record.pk), spec, record)
                )
        out.sort(key=lambda item: item[0], reverse=True)
        return [(spec, record) for _key, spec, record in out]

    def entry(self, spec: Kind, record, user=None) -> Entry:
        """The entry of `record`, with the links `user` may follow (none
        without a user: the print view and the export)."""
        subject = record.symposium if spec.key == "symposium" else record
        date = spec.date(record)
        entry = Entry(
            kind=spec,
            record=record,
            posting=record.posting,
            date=date,
            when=f"{record.month:%Y-%m}" if spec.key == "note" else f"{date:%Y-%m-%d}",
            title=str(spec.title(record)),
            fields=record_fields(spec.key, record),
            author=subject.author,
            created_at=subject.created_at,
            muted=getattr(record, "status", "") in ("revoked", "draft"),
        )
        if spec.key == "symposium":
            entry.fields = [
                (_("主持人/主办单位"), subject.host),
                (_("会议纪要"), subject.minutes),
            ]
            entry.attendees = record.attendee_names
        if spec.key == "report":
            entry.files = [
                (f.original_name, f.get_absolute_url()) for f in record.files
            ]
        if user is not None:
            self._add_links(entry, user)
        return entry

    def _add_links(self, entry: Entry, user) -> None:
        spec, record = entry.kind, entry.record
        if spec.edit_url and self.may_edit(user, record):
            entry.edit_url = reverse(spec.edit_url, args=[record.pk])
        settle = {
            "warning": ("active", "cadres:warning_revoke", "revoke_url"),
            "support": ("open", "cadres:support_resolve", "resolve_url"),
        }.get(spec.key)
        if (
            settle
            and record.status == settle[0]
            and role_may_use(user.role, settle[1])
            and not self.host_refusal(user, record)
        ):
            setattr(entry, settle[2], reverse(settle[1], args=[record.pk]))
        if spec.key == "assessment":
            entry.detail_url = record.detail_url
        if spec.history and role_may_use(user.role, "cadres:history"):
            entry.history_url = reverse(
                "cadres:history", args=[spec.history, record.pk]
            )

    def may_edit(self, user, record) -> bool:
        """Authors edit their own records; monthly notes only until locked;
        a host leader as far as the host-write rule allows."""
        if getattr(record, "author_id", None) != user.pk:
            return False
        if isinstance(record, MonthlyNote):
            if note_lock_reason(record, self.locks, self.today):
                return False
        elif isinstance(record, WorkLog):
            return record.posting.status == Posting.Status.ACTIVE
        return not self.host_refusal(user, record)

    def host_refusal(self, user, record) -> str:
        """The host-write rule on changing `record` (cadres.host_write)."""
        # Imported here: the rule reads the month locks defined above.
        from .host_write import HostWrite, host_write_refusal

        if isinstance(record, MonthlyNote):
            return host_write_refusal(
                record.posting,
                user,
                what=HostWrite.NOTE,
                month=record.month,
                locks=self.locks,
                today=self.today,
            )
        return host_write_refusal(record.posting, user, what=HostWrite.RECORD)

    def of(self, key: str, posting: Posting) -> list:
        by_posting = self._by_posting.get(key)
        if by_posting is None:
            by_posting = self._by_posting[key] = defaultdict(list)
            for record in self.records[key]:
                by_posting[record.posting_id].append(record)
        return by_posting.get(posting.pk, [])

    def _months(self, posting: Posting) -> list[dt.date]:
        key = ("months", posting.pk)
        if key not in self._memo:
            self._memo[key] = expected_note_months(posting, self.today)
        return self._memo[key]

    def _schedule(self, posting: Posting) -> list[Slot]:
        key = ("schedule", posting.pk)
        if key not in self._memo:
            self._memo[key] = report_schedule(posting, self.of("report", posting))
        return self._memo[key]

    def checks(self) -> list[PostingCheck]:
        return [self.check(p) for p in self.postings]

    def check(self, posting: Posting) -> PostingCheck:
        noted = {n.month for n in self.of("note", posting)}
        months = self._months(posting)
        missing = [
            str(_("%(m)s月小结") % {"m": f"{m.year}年{m.month:02d}月"})
            for m in months
            if m not in noted
        ]
        expected = len(months)
        if posting.status != Posting.Status.PROPOSED:
            for slot in self._schedule(posting):
                if slot.due <= self.today:
                    expected += 1
                    if slot.report is None:
                        missing.append(f"{slot.label}（{slot.due:%Y-%m-%d}）")
        if has_ended(posting):
            appraisals = self.of("appraisal", posting)
            owed = [
                (_("组织鉴定"), any(a.status == "submitted" for a in appraisals)),
                (_("期满座谈会"), bool(self.of("symposium", posting))),
                (_("回访"), bool(self.of("visit", posting))),
            ]
            expected += len(owed)
            missing += [str(label) for label, done in owed if not done]
        return PostingCheck(posting, expected, missing)

    def summary(self) -> Summary:
        live = [p for p in self.postings if p.status != Posting.Status.PROPOSED]
        current = next(
            (p for p in self.postings if p.status == Posting.Status.ACTIVE), None
        )
        notes_expected = notes_filed = 0
        due, overdue = [], []
        soon = self.today + dt.timedelta(days=DUE_SOON_DAYS)
        for posting in live:
            months = set(self._months(posting))
            notes_expected += len(months)
            notes_filed += sum(1 for n in self.of("note", posting) if n.month in months)
            for slot in self._schedule(posting):
                if slot.report is None and slot.due < self.today:
                    overdue.append(slot)
                elif slot.report is None and slot.due <= soon:
                    due.append(slot)
        points = period_points(self.records["warning"], on=self.today)
        return Summary(
            current=current,
            days_served=(self.today - current.start_date).days + 1 if current else None,
            notes_filed=notes_filed,
            notes_expected=notes_expected,
            reports_due=due,
            reports_overdue=overdue,
            warning_level=warning_level(points),
            warning_points=points,
            grade=latest_assessment_grade(self.records["assessment"]),
            open_needs=sum(
                1
                for s in self.records["support"]
                if s.status == SupportNeed.Status.OPEN
            ),
        )


def load_dossier(cadre: Cadre, user) -> Dossier:
    """The postings `user` may see of `cadre` and every record of them.

    One query for the postings, then one per record kind over the postings
    found (the assessments through `Assessment.objects.visible_to` as well),
    one for the report files, one for the symposia's attendees and one for
    the month locks over the notes: the same number however many records.
    """
    postings = list(
        Posting.objects.visible_to(user)
        .filter(cadre=cadre)
        .select_related("sending_unit", "receiving_unit")
        .order_by("-start_date", "-pk")
    )
    by_id = {p.pk: p for p in postings}
    ids = list(by_id)
    for posting in postings:
        posting.cadre = cadre
    records = {}
    for spec in KINDS:
        rows = list(spec.records(ids, user))
        for row in rows:
            row.posting = by_id[row.posting_id]
        if spec.finish:
            spec.finish(rows, user)
        records[spec.key] = rows
    # Each a query whenever there are postings, whatever records there are.
    _attach_files(
        records["report"], Attachment.objects.filter(report__posting_id__in=ids)
    )
    attended = SymposiumAttendance.objects.filter(posting_id__in=ids)
    _attach_attendees(
        records["symposium"],
        # Each symposium's attendees, as far as `user` may see them.
        SymposiumAttendance.objects.visible_to(user)
        .filter(symposium_id__in=attended.values("symposium_id"))
        .order_by("pk")
        .values_list("symposium_id", "posting__cadre__name"),
    )
    # The month locks that may cover the notes (Dossier.may_edit).
    locks = NoteMonthLock.objects.filter(
        month__in=MonthlyNote.objects.filter(posting_id__in=ids).values("month")
    ).select_related("unit", "locked_by")
    return Dossier(cadre, postings, records, list(locks), timezone.localdate())


def _attach_files(reports: list[Report], attachments) -> None:
    files = defaultdict(list)
    for attachment in attachments:
        files[attachment.report_id].append(attachment)
    for report in reports:
        report.files = files[report.pk]


def _attach_attendees(attendances: list[SymposiumAttendance], seen) -> None:
    """Each attendance gets `attendee_names`: the cadres at its symposium
    (`seen`: (symposium id, cadre name) of those `user` may see)."""
    names = defaultdict(list)
    for symposium_id, name in seen:
        names[symposium_id].append(name)
    for attendance in attendances:
        attendance.attendee_names = names[attendance.symposium_id]
