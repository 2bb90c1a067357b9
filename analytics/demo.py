"""Demo exchanges for `seed_demo` (干部交流, DOMAIN rule 13, seed 003).

The small demo's cadres get when they took their current post (任现职时间)
and whether it is a leadership post; about a quarter have held it ten years
or more. A handful of the eligible ones in the city's jurisdiction are
exchanged this year through `services.exchange_record`, as org staff would
record it, fewer than each category's target, so that the exchange report
shows eligible cadres, rates against the targets and the shortfalls.

Connected to `portal.signals.demo_seeded` (analytics.apps): the portal's
`seed_demo` cannot import this app."""

import datetime as dt
import random

from constance import config
from django.db import transaction

from cadres.models import Cadre, Rank, Role, Unit, User
from postings.facets import years_before
from postings.models import Posting

from . import services
from .models import ExchangeRecord

SEED = 13
# The share of cadres who have held their post ten years or more.
LONG_TENURE = 0.25
# Per category: the share of its eligible cadres exchanged this year, below
# each target (50%, 25%, 30%) so that every category shows a shortfall.
EXCHANGED_SHARE = {"power": 0.3, "leader": 0.15, "other": 0.15}
KINDS = (ExchangeRecord.Kind.EXCHANGE, ExchangeRecord.Kind.ROTATION)
REASONS = (
    "任职满十年，按规定交流",
    "实权部门岗位定期轮岗",
    "工作需要，交流任职",
)


def _category(cadre: Cadre) -> str:
    if cadre.is_leader and cadre.unit.is_power_department:
        return "power"
    if cadre.is_leader and cadre.rank in services.SECTION_LEVEL:
        return "leader"
    return "other"


def _tenure(rng: random.Random, cadre: Cadre, today: dt.date) -> dt.date:
    """When the cadre took the post: one to nine years back, or for about a
    quarter ten to sixteen; never before the age of 22."""
    long = rng.random() < LONG_TENURE
    years = rng.randint(10, 16) if long else rng.randint(1, 9)
    since = years_before(today, years) - dt.timedelta(days=rng.randint(0, 300))
    return max(since, years_before(cadre.birth_date, -22))


@transaction.atomic
def build_exchanges(*, today: dt.date, **_kwargs) -> int:
    """Tenure for the demo's cadres, and this year's exchanges; returns how
    many exchanges were recorded."""
    rng = random.Random(SEED)  # noqa: S311 - seeded demo data, no secret
    cadres = list(
        Cadre.objects.filter(position_since__isnull=True)
        .select_related("unit")
        .order_by("pk")
    )
    for cadre in cadres:
        cadre.position_since = _tenure(rng, cadre, today)
        # The posts from 副科 up are leadership posts (科长, 副局长, 副乡长 ...).
        cadre.is_leader = cadre.rank >= Rank.DEPUTY_SECTION
    Cadre.objects.bulk_update(cadres, ["position_since", "is_leader"])

    staff = (
        User.objects.filter(role=Role.ORG_STAFF, unit__isnull=False)
        .select_related("unit")
        .order_by("unit__depth", "pk")
        .first()
    )
    if staff is None:
        return 0
    # Movable: in the staff's jurisdiction, eligible on 1 January (so on any
    # day of the year), on no posting and without an account of their own.
    start = dt.date(today.year, 1, 1)
    posted = Posting.objects.values("cadre_id")
    accounts = User.objects.filter(cadre__isnull=False).values("cadre_id")
    movable = [
        c
        for c in cadres
        if c.unit.path.startswith(staff.unit.path)
        and c.position_since <= years_before(start, config.EXCHANGE_YEARS)
    ]
    excluded = set(Cadre.objects.filter(pk__in=posted).values_list("pk", flat=True))
    excluded |= set(Cadre.objects.filter(pk__in=accounts).values_list("pk", flat=True))
    movable = [c for c in movable if c.pk not in excluded]
    by_category: dict[str, list[Cadre]] = {}
    for cadre in movable:
        by_category.setdefault(_category(cadre), []).append(cadre)

    count = 0
    days = (today - start).days
    for key, share in EXCHANGED_SHARE.items():
        group = by_category.get(key, [])
        for cadre in rng.sample(group, max(1, int(len(group) * share)) if group else 0):
            # Another unit of the same kind under the same parent, else any
            # sibling: the post moves, the level stays.
            siblings = Unit.objects.filter(parent=cadre.unit.parent_id).exclude(
                pk=cadre.unit_id
            )
            to_unit = (
                siblings.filter(
                    kind=cadre.unit.kind,
                    is_power_department=cadre.unit.is_power_department,
                ).first()
                or siblings.filter(kind=cadre.unit.kind).first()
                or cadre.unit
            )
            services.exchange_record(
                cadre=cadre,
                kind=rng.choice(KINDS),
                on=start + dt.timedelta(days=rng.randint(0, days)),
                to_unit=to_unit,
                to_post=cadre.position or "—",
                to_is_leader=cadre.is_leader,
                reason=rng.choice(REASONS),
                by=staff,
            )
            count += 1
    return count
