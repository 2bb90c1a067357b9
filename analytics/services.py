"""Exchange of cadres long in one post (干部交流, DOMAIN rule 13) and the
recording of an exchange."""

import datetime as dt
from dataclasses import dataclass

from constance import config
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre, Rank, Unit
from guazhi.dates import add_months
from postings.facets import years_before

from .models import ExchangeRecord

SEED = "003"
# 科级: the leadership posts the 25% target speaks of.
SECTION_LEVEL = (Rank.DEPUTY_SECTION, Rank.SECTION)
SOON_MONTHS = 12


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    setting: str  # the constance entry holding the target


CATEGORIES = (
    Category("power", _("实权部门领导职务"), "EXCHANGE_TARGET_POWER_PCT"),
    Category("leader", _("其他科级领导职务"), "EXCHANGE_TARGET_LEADER_PCT"),
    Category("other", _("其他职位"), "EXCHANGE_TARGET_OTHER_PCT"),
)


@dataclass(frozen=True)
class ExchangeSets:
    """Who rule 13 counts for one year, as querysets annotated with
    `category`: `staying` cadres eligible on the reference day and still in
    the post, `exchanged` records of cadres moved this year once eligible
    (one or more per cadre), `soon` cadres eligible within SOON_MONTHS."""

    year: int
    reference: dt.date
    years: int
    kinds: tuple[str, ...]
    staying: QuerySet
    exchanged: QuerySet
    soon: QuerySet


def _category(leader: str, power: str, rank: str) -> Case:
    return Case(
        When(Q(**{leader: True, power: True}), then=Value("power")),
        When(Q(**{leader: True, f"{rank}__in": SECTION_LEVEL}), then=Value("leader")),
        default=Value("other"),
        output_field=CharField(),
    )


def counted_kinds() -> tuple[str, ...]:
    return tuple(
        kind.strip() for kind in config.EXCHANGE_COUNTED_KINDS.split(",") if kind
    )


def exchange_sets(*, cadres: QuerySet, year: int, reference: dt.date) -> ExchangeSets:
    """Rule 13 (seed 003: 在同一职位上任职满10年的领导干部 are due for exchange;
    每年交流 不少于符合交流、轮岗条件的 25% of 科级领导干部, 50% in 实权部门,
    30% of other posts), the one place it is decided.

    A cadre is eligible on `reference` when they took their post
    (`position_since`) EXCHANGE_YEARS or more years before it: on the
    anniversary exactly, not the day before. Each eligible cadre falls in one
    category (CATEGORIES): a leadership post in a 实权部门; else a leadership
    post at 科级; else any other post. Those exchanged this year (a record of
    a kind in EXCHANGE_COUNTED_KINDS, from 1 January to `reference`) count
    with what they held before the move, if they had held it long enough then;
    they are counted once, as exchanged, not again as staying.
    """
    years = config.EXCHANGE_YEARS
    kinds = counted_kinds()
    start = dt.date(year, 1, 1)
    exchanged = (
        ExchangeRecord.objects.filter(cadre__in=cadres.values("pk"))
        .filter(on__gte=start, on__lte=reference, kind__in=kinds)
        .exclude(from_since__isnull=True)
        .annotate(
            category=_category(
                "from_is_leader", "from_is_power_department", "from_rank"
            )
        )
    )
    # Eligible when moved: on or after the anniversary of taking the post.
    # Date arithmetic between two columns silently matches nothing on SQLite,
    # so the year's few records are compared here.
    exchanged = exchanged.filter(
        pk__in=[
            pk
            for pk, since, on in exchanged.values_list("pk", "from_since", "on")
            if since <= years_before(on, years)
        ]
    )
    by_category = _category("is_leader", "unit__is_power_department", "rank")
    moved = exchanged.values("cadre_id")
    staying = (
        cadres.filter(position_since__lte=years_before(reference, years))
        .exclude(pk__in=moved)
        .annotate(category=by_category)
    )
    horizon = add_months(reference, SOON_MONTHS)
    soon = cadres.filter(
        position_since__gt=years_before(reference, years),
        position_since__lte=years_before(horizon, years),
    ).annotate(category=by_category)
    return ExchangeSets(year, reference, years, kinds, staying, exchanged, soon)


# The name lists behind the report's numbers (`exchange_list`).
EXCHANGE_LISTS = ("eligible", "staying", "exchanged", "soon")


def exchange_list(sets: ExchangeSets, which: str, category: str = "") -> QuerySet:
    """The rows one number of the report counts: `exchanged` records, or
    cadres (`eligible` = those exchanged this year and those staying, each
    annotated `moved`), of one category when `category` is given."""
    staying, exchanged = sets.staying, sets.exchanged
    if category:
        staying = staying.filter(category=category)
        exchanged = exchanged.filter(category=category)
    if which == "eligible":
        moved = exchanged.values("cadre_id")
        return Cadre.objects.filter(
            Q(pk__in=staying.values("pk")) | Q(pk__in=moved)
        ).annotate(
            moved=Case(
                When(pk__in=moved, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    if which == "exchanged":
        return exchanged
    if which == "soon":
        return sets.soon.filter(category=category) if category else sets.soon
    return staying


@dataclass(frozen=True)
class CategoryRow:
    category: Category
    target_pct: int
    staying: int
    exchanged: int
    soon: int

    @property
    def eligible(self) -> int:
        return self.staying + self.exchanged

    @property
    def rate_pct(self) -> float | None:
        if not self.eligible:
            return None
        return round(100 * self.exchanged / self.eligible, 1)

    @property
    def required(self) -> int:
        """The fewest exchanges that meet the target: the share rounded up."""
        return -(-self.target_pct * self.eligible // 100)

    @property
    def needed(self) -> int:
        return max(0, self.required - self.exchanged)

    @property
    def met(self) -> bool:
        return self.needed == 0


def exchange_report(sets: ExchangeSets) -> list[CategoryRow]:
    """Per category: eligible, exchanged, rate against the target, how many
    more are needed, and who becomes eligible soon. Three GROUP BY queries."""

    def counts(qs, field="pk"):
        rows = (
            qs.order_by()
            .values_list("category")
            .annotate(n=Count(field, distinct=True))
        )
        return dict(rows)

    staying, soon = counts(sets.staying), counts(sets.soon)
    exchanged = counts(sets.exchanged, "cadre_id")
    return [
        CategoryRow(
            category,
            getattr(config, category.setting),
            staying.get(category.key, 0),
            exchanged.get(category.key, 0),
            soon.get(category.key, 0),
        )
        for category in CATEGORIES
    ]


@transaction.atomic
def exchange_record(
    *,
    cadre: Cadre,
    kind: str,
    on: dt.date,
    to_unit: Unit,
    to_post: str,
    to_is_leader: bool,
    reason: str,
    by,
) -> ExchangeRecord:
    """Record that `cadre` moved to a new post: what they held is kept on the
    record, and the cadre now holds the new post since `on`."""
    cadre = Cadre.objects.select_for_update().select_related("unit").get(pk=cadre.pk)
    record = ExchangeRecord(
        cadre=cadre,
        kind=kind,
        on=on,
        from_unit=cadre.unit,
        from_post=cadre.position or "—",
        from_since=cadre.position_since,
        from_is_leader=cadre.is_leader,
        from_is_power_department=cadre.unit.is_power_department,
        from_rank=cadre.rank,
        to_unit=to_unit,
        to_post=to_post,
        to_is_leader=to_is_leader,
        reason=reason,
        created_by=by,
    )
    record.full_clean()
    record.save()
    cadre.unit, cadre.position = to_unit, to_post
    cadre.position_since, cadre.is_leader = on, to_is_leader
    cadre.save(update_fields=["unit", "position", "position_since", "is_leader"])
    return record
