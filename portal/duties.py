"""What the obligations pages share: the kinds' labels, the labels and
badges of the five states an obligation is shown in (obligations.models.Shown
says what each means), and the plain rows a table shows. The obligations
themselves (what falls due when, what closes them) live in the obligations
app."""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from cadres.models import Role
from obligations import registry
from obligations.models import Obligation, Shown
from obligations.registry import KINDS

SHOWN_CHOICES = [
    (Shown.OPEN, _("待完成")),
    (Shown.OVERDUE, _("已逾期")),
    (Shown.ON_TIME, _("按时完成")),
    (Shown.LATE, _("逾期完成")),
    (Shown.WAIVED, _("已免除")),
    (Shown.CANCELLED, _("不再应交")),
]
SHOWN_LABELS = dict(SHOWN_CHOICES)
BADGES = {
    Shown.OPEN: "text-bg-secondary",
    Shown.OVERDUE: "text-bg-danger",
    Shown.ON_TIME: "text-bg-success",
    Shown.LATE: "text-bg-warning",
    Shown.WAIVED: "text-bg-light border",
    Shown.CANCELLED: "text-bg-light border text-decoration-line-through",
}


def kind_choices() -> list[tuple[str, str]]:
    """The registered kinds (obligations.registry), as (key, label)."""
    return [(kind.key, kind.label) for kind in KINDS.values()]


@dataclass(frozen=True)
class Row:
    """One obligation as a table or the home page shows it."""

    pk: int
    kind: str
    cadre: str
    posting_url: str
    period: dt.date | None
    owed_by: str
    unit: str
    due_on: dt.date
    state: str
    state_label: str
    badge: str
    done_on: dt.date | None
    fulfilled_url: str
    fulfil_url: str
    waived_reason: str
    days_overdue: int


ROW_RELATED = ("posting__cadre", "unit")


def rows(obligations, user, today: dt.date) -> list[Row]:
    """Plain rows, labels and links worked out once per row (the obligations
    come with ROW_RELATED selected)."""
    labels = dict(kind_choices())
    roles = dict(Role.choices)
    obligations = list(obligations)
    # The form only for those who owe it (others may not file it).
    owed = [
        o
        for o in obligations
        if o.status == Obligation.Status.OPEN and o.owed_by == user.role
    ]
    urls = registry.fulfil_urls(owed, user)
    out = []
    for o in obligations:
        state = o.shown(today)
        out.append(
            Row(
                pk=o.pk,
                kind=labels.get(o.kind, o.kind),
                cadre=o.posting.cadre.name,
                posting_url=o.posting.get_absolute_url(),
                period=o.period,
                owed_by=roles.get(o.owed_by, o.owed_by),
                unit=o.unit.name if o.unit_id else "",
                due_on=o.due_on,
                state=state,
                state_label=SHOWN_LABELS[state],
                badge=BADGES[state],
                done_on=o.done_on,
                fulfilled_url=o.fulfilled_url or "",
                fulfil_url=urls.get(o.pk) or "",
                waived_reason=o.waived_reason or "",
                days_overdue=(today - o.due_on).days if state == Shown.OVERDUE else 0,
            )
        )
    return out
