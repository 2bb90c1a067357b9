"""How each record kind appears in the dossier, the print view and the export.

The record kinds are defined here; apps above records add theirs with
`register` (assessment adds its results), so the dossier, which composes
them, never needs to know who defined a kind.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from records.display import display, field_label
from records.models import (
    Appraisal,
    Commendation,
    FollowUpVisit,
    MonthlyNote,
    Report,
    SupportNeed,
    SymposiumAttendance,
    Talk,
    Training,
    Warning,
    WorkLog,
)
from records.rules import month_end


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
        # A draft is its author's until submitted: on no one else's page,
        # print view or export.
        queryset=lambda ids, user: (
            Appraisal.objects.filter(posting_id__in=ids)
            .readable_by(user)
            .select_related("author")
        ),
    ),
]


KIND_BY_KEY = {k.key: k for k in KINDS}


def register(kind: Kind) -> None:
    """Add a kind from an app above records (assessment adds its results in
    its AppConfig.ready): the dossier shows it after the records."""
    if kind.key in KIND_BY_KEY:
        raise ValueError(f"dossier kind {kind.key!r} registered twice")
    KINDS.append(kind)
    KIND_BY_KEY[kind.key] = kind


def record_fields(key: str, record: Model) -> list[tuple[str, str]]:
    """(label, value) of the fields a kind shows, the empty ones left out."""
    spec = KIND_BY_KEY[key]
    pairs = [(field_label(spec.model, n), display(record, n)) for n in spec.fields]
    return [(label, value) for label, value in pairs if value]
