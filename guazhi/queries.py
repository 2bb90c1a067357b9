"""Query helpers shared by the apps."""

from django.db.models import Count, IntegerField, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce


def correlated_count(rows: type[Model] | QuerySet, **outer: str) -> Coalesce:
    """COUNT(*) of `rows` matching the outer row, as an integer annotation.

    `outer` maps a lookup on `rows` to a field of the outer query, e.g.
    `correlated_count(Ballot, group="pk")`; a model stands for all its rows.
    One subquery instead of a JOIN + GROUP BY, so several counts on one list
    do not multiply each other.
    """
    qs = rows.objects.all() if isinstance(rows, type) else rows
    counted = (
        qs.filter(**{k: OuterRef(v) for k, v in outer.items()})
        .order_by()
        .values(*outer)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
