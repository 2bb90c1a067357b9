"""一人一档: everything recorded about one cadre, as one timeline.

`load_dossier` reads a cadre's records with one query per record kind,
whatever their number, and the rest is plain Python over those rows: the
merged timeline, the due schedules, the completeness of each posting and the
summary panel. The page, the print view and the Excel export all use it.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre
from cadres.policy import role_may_use
from postings.models import NOT_BEGUN, Posting
from records.kinds import KIND_BY_KEY, KINDS, Kind, record_fields
from records.models import (
    Attachment,
    MonthlyNote,
    NoteMonthLock,
    Report,
    SupportNeed,
    SymposiumAttendance,
    Warning,
    WorkLog,
)
from records.rules import (
    Slot,
    expected_note_months,
    has_ended,
    note_lock_reason,
    period_points,
    report_schedule,
    term_end,
    warning_level,
)

# --- Dates and schedules -----------------------------------------------------


# --- Month locks and warning levels -------------------------------------------


# Reports falling due within this many days count as "due" on the summary.
DUE_SOON_DAYS = 30


def latest_assessment_grade(assessments) -> str | None:
    """The grade of the cadre's newest assessment with a stored result."""
    graded = [a for a in assessments if a.grade]
    if not graded:
        return None
    latest = max(graded, key=lambda a: (a.round.period_end, a.round.closed_at, a.pk))
    return str(latest.get_grade_display())


# --- Record kinds ----------------------------------------------------------


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
    created: str  # created_at as shown: local "YYYY-MM-DD HH:MM"
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
            created=f"{timezone.localtime(subject.created_at):%Y-%m-%d %H:%M}",
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
        from records.host_write import HostWrite, host_write_refusal

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
        if posting.status not in NOT_BEGUN:
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
        live = [p for p in self.postings if p.status not in NOT_BEGUN]
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
    found (the assessments through `Assessment.objects.visible_to` as well;
    the symposia with their other attendees), one for the report files and
    one for the month locks over the notes: the same number however many
    records.
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
    # The symposia the cadre attended, with everyone at them whom `user` may
    # see, in one query: the cadre's own attendances (their postings are in
    # scope, so visible_to keeps them) are the symposium kind's records.
    attended = SymposiumAttendance.objects.filter(posting_id__in=ids)
    at_symposia = list(
        SymposiumAttendance.objects.visible_to(user)
        .filter(symposium_id__in=attended.values("symposium_id"))
        .select_related(*KIND_BY_KEY["symposium"].related, "posting__cadre")
        .order_by("pk")
    )
    records = {}
    for spec in KINDS:
        if spec.key == "symposium":
            rows = [a for a in at_symposia if a.posting_id in by_id]
        else:
            # Unordered: the timeline sorts every record by (date, filed at,
            # pk) and nothing else reads a kind's order; the models' default
            # ordering cost ~0.2 ms a kind to compile and sort (12 kinds).
            rows = list(spec.records(ids, user).order_by())
        for row in rows:
            row.posting = by_id[row.posting_id]
        if spec.finish:
            spec.finish(rows, user)
        records[spec.key] = rows
    _attach_attendees(
        records["symposium"],
        [(a.symposium_id, a.posting.cadre.name) for a in at_symposia],
    )
    # A query whenever there are postings, whatever records there are.
    _attach_files(
        records["report"], Attachment.objects.filter(report__posting_id__in=ids)
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
