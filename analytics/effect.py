"""工作成效: obligations met on time, assessment grades, warnings and support
needs of the selected postings, each number with the list behind it.

The obligations link to the obligations list under its own filters
(`filter_obligations`); warnings, support needs and assessments to this app's
record list (`records`), which filters with the same function that counts."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Case, CharField, Count, Value, When
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from assessment.models import Assessment, Grade, Round
from cadres.models import Rank
from obligations.models import Obligation, Shown, shown_q
from portal import duties
from portal.forms import ObligationFilterForm
from portal.views_obligations import filter_obligations
from postings.forms import PostingFilterForm
from postings.models import Posting
from records.models import SupportNeed, Warning

from .structure import Cell, Row, Table

# The postings list's filters that select postings here; the dates apply to
# each record's own date instead (EffectFilters.dates).
POSTING_FILTERS = ("within", "batch", "kind")

# The states an obligation is counted in, in the order of `shown_state`'s
# rule: the first that holds.
OBLIGATION_BUCKETS = (
    Shown.WAIVED,
    Shown.CANCELLED,
    Shown.ON_TIME,
    Shown.LATE,
    Shown.OVERDUE,
    Shown.OPEN,
)


@dataclass(frozen=True)
class Selection:
    """What the page's filters select: the postings (as the postings list
    selects them) and the date range for the records' own dates."""

    user: object
    params: list[tuple[str, str]]  # the page's filters, as given
    postings: object  # QuerySet of Posting
    date_from: dt.date | None
    date_to: dt.date | None
    within: object  # Unit | None
    batch: int | None
    kind: str
    # The record list's path: a province's page has thousands of links.
    records_path: str


def selection(user, params: list[tuple[str, str]], today: dt.date) -> Selection:
    data = QueryDict(mutable=True)
    for name, value in params:
        data.appendlist(name, value)
    form = PostingFilterForm(data, user=user)
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    posting_data = QueryDict(mutable=True)
    for name in POSTING_FILTERS:
        for value in data.getlist(name):
            posting_data.appendlist(name, value)
    posting_form = PostingFilterForm(posting_data, user=user)
    postings = posting_form.filter(Posting.objects.visible_to(user), today=today)
    return Selection(
        user,
        params,
        postings,
        cleaned.get("start_from"),
        cleaned.get("start_to"),
        cleaned.get("within"),
        cleaned.get("batch"),
        cleaned.get("kind") or "",
        reverse("analytics:records"),
    )


# --- Records: warnings, support needs, assessments -----------------------------


@dataclass(frozen=True)
class RecordKind:
    key: str
    title: str
    model: type
    date_field: str
    # the record list's filters: URL parameter -> field
    fields: dict


RECORD_KINDS = {
    kind.key: kind
    for kind in [
        RecordKind(
            "warning",
            _("预警"),
            Warning,
            "occurred_on",
            {"level": "level", "dimension": "dimension"},
        ),
        RecordKind(
            "support",
            _("后勤保障"),
            SupportNeed,
            "raised_on",
            {"category": "category", "status": "status"},
        ),
        RecordKind(
            "assessment",
            _("考核等次"),
            Assessment,
            "round__period_end",
            {"round": "round_id", "grade": "grade", "rank": "posting__cadre__rank"},
        ),
    ]
}


def records(kind: RecordKind, sel: Selection, picked: dict | None = None):
    """The records of `kind` the page counts: in scope, of the selected
    postings, dated within the range, and holding the `picked` values
    (parameter -> value) the record list is filtered by."""
    qs = kind.model.objects.visible_to(sel.user).filter(
        posting__in=sel.postings.values("pk")
    )
    if kind.key == "warning":
        qs = qs.filter(status=Warning.Status.ACTIVE)
    if kind.key == "assessment":
        qs = qs.filter(round__status=Round.Status.CLOSED).exclude(grade="")
    if sel.date_from:
        qs = qs.filter(**{f"{kind.date_field}__gte": sel.date_from})
    if sel.date_to:
        qs = qs.filter(**{f"{kind.date_field}__lte": sel.date_to})
    for name, value in (picked or {}).items():
        if name in kind.fields:
            qs = qs.filter(**{kind.fields[name]: value})
    return qs


def records_url(kind: str, sel: Selection, **picked) -> str:
    query = [("what", kind), *sel.params, *picked.items()]
    return f"{sel.records_path}?{urlencode(query)}"


def _grouped(qs, *fields: str) -> dict:
    rows = qs.order_by().values_list(*fields).annotate(n=Count("*"))
    return {tuple(row[:-1]): row[-1] for row in rows}


def warning_table(sel: Selection) -> Table:
    kind = RECORD_KINDS["warning"]
    counts = _grouped(records(kind, sel), "level", "dimension")
    dimensions = list(Warning.Dimension.choices)
    rows = []
    for level, label in Warning.Level.choices:
        cells = [
            Cell(
                counts.get((level, dim), 0),
                records_url("warning", sel, level=level, dimension=dim),
            )
            for dim, _l in dimensions
        ]
        total = sum(c.value for c in cells)
        if total:
            url = records_url("warning", sel, level=level)
            rows.append(Row(str(label), [Cell(total, url), *cells]))
    return Table(
        "warnings",
        _("预警（按等级和方面，不含已撤销）"),
        [_("合计"), *[label for _d, label in dimensions]],
        rows,
    )


def support_table(sel: Selection) -> Table:
    kind = RECORD_KINDS["support"]
    qs = records(kind, sel)
    counts = _grouped(qs, "category", "status")
    # How long each resolved need stayed open: one row per resolved need of
    # the selection, read once (dates only).
    days = defaultdict(list)
    resolved = qs.filter(status=SupportNeed.Status.RESOLVED).values_list(
        "category", "raised_on", "resolved_at"
    )
    for category, raised, resolved_at in resolved:
        days[category].append(max(0, (timezone.localdate(resolved_at) - raised).days))
    rows = []
    for category, label in SupportNeed.Category.choices:
        opened = sum(n for (cat, _s), n in counts.items() if cat == category)
        if not opened:
            continue
        done = counts.get((category, SupportNeed.Status.RESOLVED), 0)
        still = counts.get((category, SupportNeed.Status.OPEN), 0)
        spent = days.get(category) or []
        rows.append(
            Row(
                str(label),
                [
                    Cell(opened, records_url("support", sel, category=category)),
                    Cell(
                        done,
                        records_url(
                            "support",
                            sel,
                            category=category,
                            status=SupportNeed.Status.RESOLVED,
                        ),
                    ),
                    Cell(
                        still,
                        records_url(
                            "support",
                            sel,
                            category=category,
                            status=SupportNeed.Status.OPEN,
                        ),
                    ),
                    Cell(round(sum(spent) / len(spent), 1) if spent else 0),
                ],
            )
        )
    return Table(
        "support",
        _("后勤保障（提出、解决、平均解决天数）"),
        [_("提出"), _("已解决"), _("待解决"), _("平均解决天数")],
        rows,
    )


def _grade_summary(sel: Selection, counts: dict, rounds: int) -> Table:
    """The grades of every round selected, in total and per cohort: the one
    grade table of the printed 统计表 (a province holds ~90 rounds a year)."""
    grades = list(Grade.choices)
    ranks = dict(Rank.choices)
    by_cohort: dict = defaultdict(int)  # (cohort, grade) -> n; None: all
    for (_r, k, g), v in counts.items():
        by_cohort[(k, g)] += v
        by_cohort[(None, g)] += v
    rows = []
    cohorts = sorted({k for k, _g in by_cohort if k is not None})
    for cohort in [None, *cohorts] if counts else []:
        picked = {} if cohort is None else {"rank": cohort}
        cells = [
            Cell(
                by_cohort.get((cohort, grade), 0),
                records_url("assessment", sel, grade=grade, **picked),
            )
            for grade, _label in grades
        ]
        label = _("全部") if cohort is None else ranks.get(cohort, cohort)
        total = sum(c.value for c in cells)
        rows.append(
            Row(
                str(label),
                [Cell(total, records_url("assessment", sel, **picked)), *cells],
            )
        )
    return Table(
        "grades",
        _("考核等次（所选范围内各轮次合计，按职级分组）"),
        [_("合计"), *[label for _g, label in grades]],
        rows,
        note=_("共%(n)d个考核轮次；各轮次分表见屏幕及导出文件，打印时从略。")
        % {"n": rounds},
    )


def grade_tables(sel: Selection) -> list[Table]:
    """The grades summed over the rounds, then per round (on screen only),
    each in total and per cohort (the cadre's rank)."""
    kind = RECORD_KINDS["assessment"]
    qs = records(kind, sel)
    counts = _grouped(qs, "round_id", "posting__cadre__rank", "grade")
    names = dict(
        Round.objects.filter(pk__in={r for r, _k, _g in counts}).values_list(
            "pk", "name"
        )
    )
    grades = list(Grade.choices)
    ranks = dict(Rank.choices)
    # Each round's cohorts and its totals over them, in one pass.
    cohorts_of: dict = defaultdict(set)
    all_cohorts: dict = defaultdict(int)  # (round, grade) -> n
    for (r, k, g), v in counts.items():
        cohorts_of[r].add(k)
        all_cohorts[(r, g)] += v
    tables = []
    for round_id in sorted(names, reverse=True):
        rows = []
        for cohort in [None, *sorted(cohorts_of[round_id])]:
            picked = {"round": round_id}
            if cohort is not None:
                picked["rank"] = cohort
            cells = []
            for grade, _label in grades:
                if cohort is None:
                    n = all_cohorts.get((round_id, grade), 0)
                else:
                    n = counts.get((round_id, cohort, grade), 0)
                cells.append(
                    Cell(n, records_url("assessment", sel, grade=grade, **picked))
                )
            total = sum(c.value for c in cells)
            label = _("全部") if cohort is None else ranks.get(cohort, cohort)
            rows.append(
                Row(
                    str(label),
                    [Cell(total, records_url("assessment", sel, **picked)), *cells],
                )
            )
        tables.append(
            Table(
                f"grades_{round_id}",
                _("考核等次：%(name)s（按职级分组）") % {"name": names[round_id]},
                [_("合计"), *[label for _g, label in grades]],
                rows,
                screen_only=True,
            )
        )
    return [_grade_summary(sel, counts, len(names)), *tables]


# --- Obligations ----------------------------------------------------------------


def _obligation_params(sel: Selection) -> list[tuple[str, str]]:
    """The page's filters as the obligations list reads them."""
    names = {"within": "region", "batch": "batch", "kind": "posting_kind"}
    names |= {"start_from": "due_from", "start_to": "due_to"}
    return [(names[k], v) for k, v in sel.params if k in names and v]


def obligations(sel: Selection, today: dt.date):
    """The obligations of the selection, exactly as the obligations list
    filters them under `_obligation_params`."""
    data = QueryDict(mutable=True)
    for name, value in _obligation_params(sel):
        data.appendlist(name, value)
    form = ObligationFilterForm(
        data, user=sel.user, kinds=duties.kind_choices(), statuses=duties.SHOWN_CHOICES
    )
    return filter_obligations(
        Obligation.objects.visible_to(sel.user),
        form.values(),
        user=sel.user,
        today=today,
    )


def obligation_table(sel: Selection, today: dt.date) -> Table:
    bucket = Case(
        *[
            When(shown_q(state, today), then=Value(state))
            for state in OBLIGATION_BUCKETS
        ],
        output_field=CharField(),
    )
    rows_qs = obligations(sel, today).annotate(shown=bucket)
    counts = _grouped(rows_qs, "kind", "shown")
    base = _obligation_params(sel)

    def url(**picked) -> str:
        return f"{reverse('obligations:list')}?{urlencode(base + list(picked.items()))}"

    rows = []
    for kind, label in duties.kind_choices():
        n = {state: counts.get((kind, state), 0) for state in OBLIGATION_BUCKETS}
        open_n = n[Shown.OPEN] + n[Shown.OVERDUE]
        owed = n[Shown.ON_TIME] + n[Shown.LATE] + n[Shown.OVERDUE]
        if not (owed or open_n or n[Shown.WAIVED]):
            continue
        rate = round(100 * n[Shown.ON_TIME] / owed, 1) if owed else None
        rows.append(
            Row(
                str(label),
                [
                    Cell(n[Shown.ON_TIME], url(kind=kind, status=Shown.ON_TIME)),
                    Cell(n[Shown.LATE], url(kind=kind, status=Shown.LATE)),
                    Cell(n[Shown.OVERDUE], url(kind=kind, status=Shown.OVERDUE)),
                    Cell(open_n, url(kind=kind, status=Shown.OPEN)),
                    Cell(n[Shown.WAIVED], url(kind=kind, status=Shown.WAIVED)),
                    Cell(rate if rate is not None else "—"),
                ],
            )
        )
    return Table(
        "obligations",
        _("待办事项按时完成情况"),
        [
            _("按时完成"),
            _("逾期完成"),
            _("已逾期未完成"),
            _("待完成（含逾期）"),
            _("已免除"),
            _("按时完成率(%)"),
        ],
        rows,
        note=_("按时完成率 = 按时完成 ÷（按时完成 + 逾期完成 + 已逾期未完成）。"),
    )


def build(sel: Selection, today: dt.date) -> list[Table]:
    return [
        obligation_table(sel, today),
        *grade_tables(sel),
        warning_table(sel),
        support_table(sel),
    ]
