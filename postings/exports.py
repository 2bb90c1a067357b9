"""The postings' workbooks: the roster as filtered, a batch's summary.

Pure functions over querysets already scoped by the caller (visible_to): rows
in, workbook out, no request. guazhi.excel applies the rules every export
follows (headers, dates, formula-looking text, control characters).
"""

from collections import Counter

from django.db.models import Count, Exists, OuterRef

from guazhi.excel import ColumnSpec, Sheet, build_sheets

from .models import Nomination, Posting

COLUMNS = [
    ColumnSpec("干部姓名", 12),
    ColumnSpec("挂职类型", 10),
    ColumnSpec("派出单位", 24),
    ColumnSpec("接收单位", 24),
    ColumnSpec("挂任职务", 20),
    ColumnSpec("开始日期", 12),
    ColumnSpec("计划结束日期", 14),
    ColumnSpec("中期考核日期", 14),
    ColumnSpec("状态", 10),
]
ROSTER_TITLE = "挂职名册"


def roster_sheet(postings) -> Sheet:
    """The posting list as one sheet; `postings` is a queryset already scoped,
    filtered and ordered. Read as plain values in chunks: no model instance
    per row, and memory stays flat however many rows there are."""
    kinds = {value: str(label) for value, label in Posting.Kind.choices}
    statuses = {value: str(label) for value, label in Posting.Status.choices}
    values = postings.values_list(
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
    rows = (
        (name, kinds[kind], sending, receiving, title, start, end, mid, statuses[s])
        for name, kind, sending, receiving, title, start, end, mid, s in (
            values.iterator(chunk_size=2000)
        )
    )
    return Sheet(ROSTER_TITLE, COLUMNS, rows)


def posting_roster(postings) -> bytes:
    return build_sheets([roster_sheet(postings)])


def batch_summary(batch, *, nominations, postings) -> bytes:
    """A batch in figures: candidates, selected and placed, by how they were
    nominated; the postings by kind and status. `nominations` and `postings`
    are the batch's, as the reader may see them (visible_to): what is out of
    scope is not counted."""
    sources = dict(Nomination.Source.choices)
    decisions = dict(Nomination.Decision.choices)
    kinds = dict(Posting.Kind.choices)
    statuses = dict(Posting.Status.choices)
    live = postings.exclude(status=Posting.Status.WITHDRAWN)
    placed_q = Exists(live.filter(cadre=OuterRef("cadre_id")))
    by_source = Counter()
    for source, decision, placed, n in (
        nominations.order_by()
        .annotate(placed=placed_q)
        .values_list("source", "decision", "placed")
        .annotate(n=Count("pk"))
    ):
        by_source[source, decision] += n
        by_source[source, "placed"] += n if placed else 0
    by_kind = Counter(
        {
            (kind, status): n
            for kind, status, n in postings.order_by()
            .values_list("kind", "status")
            .annotate(n=Count("pk"))
        }
    )

    def total(key: str) -> int:
        return sum(by_source[s, key] for s in sources)

    candidates = sum(by_source[s, d] for s in sources for d in decisions)
    overview = [
        ("批次名称", batch.name),
        ("年度", batch.year),
        ("组织单位", batch.unit.name),
        ("挂职类型", batch.kind_labels()),
        ("计划人数", batch.planned_count),
        ("候选人数", candidates),
        *((f"其中{label}", total(code)) for code, label in decisions.items()),
        ("已安排挂职人数", total("placed")),
        (
            "挂职人数（不含已撤回）",
            sum(n for (_k, s), n in by_kind.items() if s != Posting.Status.WITHDRAWN),
        ),
    ]
    source_rows = [
        (
            str(label),
            sum(by_source[code, d] for d in decisions),
            *(by_source[code, d] for d in decisions),
            by_source[code, "placed"],
        )
        for code, label in sources.items()
    ]
    source_rows.append(
        ("合计", candidates, *(total(d) for d in decisions), total("placed"))
    )
    kind_rows = [
        (
            str(label),
            *(by_kind[code, s] for s in statuses),
            sum(by_kind[code, s] for s in statuses),
        )
        for code, label in kinds.items()
    ]
    kind_rows.append(
        (
            "合计",
            *(sum(by_kind[k, s] for k in kinds) for s in statuses),
            sum(by_kind.values()),
        )
    )
    return build_sheets(
        [
            Sheet("概况", [ColumnSpec("项目", 24), ColumnSpec("内容", 40)], overview),
            Sheet(
                "人选（按推荐方式）",
                [
                    ColumnSpec("推荐方式", 12),
                    ColumnSpec("候选", 8),
                    *(ColumnSpec(str(label), 8) for label in decisions.values()),
                    ColumnSpec("已安排挂职", 10),
                ],
                source_rows,
            ),
            Sheet(
                "挂职（按类型和状态）",
                [
                    ColumnSpec("挂职类型", 10),
                    *(ColumnSpec(str(label), 8) for label in statuses.values()),
                    ColumnSpec("合计", 8),
                ],
                kind_rows,
            ),
        ]
    )
