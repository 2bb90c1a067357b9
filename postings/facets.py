"""Facets of postings: the statistics pages group postings by them, and the
postings list filters by them (`?f=gender:F`), through one expression per
facet, so that a number and the list behind it count the same rows.

A facet value in a URL is "key:value", or "key.param:value" for a facet that
takes a parameter (the receiving region: how deep down the unit tree, as the
length of the path prefix compared). An empty value stands for no value (a
posting without a batch, a unit without a distance).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Case, CharField, Count, F, IntegerField, Q, Value, When
from django.db.models.functions import Cast, ExtractYear, Substr
from django.db.models.lookups import Exact, IsNull
from django.utils.translation import gettext_lazy as _

from cadres.models import Education, Gender, PoliticalStatus, Rank

from .models import PostCategory, Posting

# Ages (whole years on the day the page is drawn) at which a band begins,
# after the first band "under AGE_BANDS[0]".
AGE_BANDS = (30, 35, 40, 45, 50)
# Distances from the city (Unit.distance_km) at which a band begins, after
# the first band "under DISTANCE_BANDS_KM[0]" (rule 12: women nearer the city,
# vice-division reserve cadres to remote townships).
DISTANCE_BANDS_KM = (20, 50, 100)
NO_DISTANCE = "unknown"
# How long one step down the unit tree makes a path ("00000007/").
PATH_STEP = 9
# The breakdowns with one row per unit or batch (the statistics page) show
# the TOP_ROWS largest values; the others are one row "其余", which the
# postings list shows with `?rest=key` (`exclude_top`).
TOP_ROWS = 20
RANKED = ("sending", "batch")


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class DateYear(ExtractYear):
    """The year of a date column. SQLite keeps a date as its ISO text, and
    Django's ExtractYear calls a Python function for every row there (the
    slowest breakdown of the statistics page at province scale); the year is
    the text's first four characters. Filters on it keep ExtractYear's
    lookups (a BETWEEN on the column)."""

    def as_sqlite(self, compiler, connection, **extra_context):
        year = Cast(Substr(self.lhs, 1, 4), IntegerField())
        return compiler.compile(year)


def _age_band(today: dt.date, param: int | None = None):
    # Born after the day `age` years ago: younger than `age`.
    whens = [
        When(cadre__birth_date__gt=years_before(today, age), then=Value(str(low)))
        for low, age in zip((0, *AGE_BANDS), AGE_BANDS, strict=False)
    ]
    return Case(*whens, default=Value(str(AGE_BANDS[-1])), output_field=CharField())


def age_band_labels() -> dict[str, str]:
    labels = {"0": _("%(n)d岁以下") % {"n": AGE_BANDS[0]}}
    for low, high in zip(AGE_BANDS, AGE_BANDS[1:], strict=False):
        labels[str(low)] = _("%(a)d-%(b)d岁") % {"a": low, "b": high - 1}
    labels[str(AGE_BANDS[-1])] = _("%(n)d岁及以上") % {"n": AGE_BANDS[-1]}
    return labels


def _distance_band(today: dt.date, param: int | None = None):
    field = "receiving_unit__distance_km"
    whens = [When(**{f"{field}__isnull": True}, then=Value(NO_DISTANCE))]
    whens += [
        When(**{f"{field}__lt": km}, then=Value(str(low)))
        for low, km in zip((0, *DISTANCE_BANDS_KM), DISTANCE_BANDS_KM, strict=False)
    ]
    return Case(
        *whens, default=Value(str(DISTANCE_BANDS_KM[-1])), output_field=CharField()
    )


def distance_band_labels() -> dict[str, str]:
    labels = {"0": _("%(n)d公里以内") % {"n": DISTANCE_BANDS_KM[0]}}
    for low, high in zip(DISTANCE_BANDS_KM, DISTANCE_BANDS_KM[1:], strict=False):
        labels[str(low)] = _("%(a)d-%(b)d公里") % {"a": low, "b": high}
    labels[str(DISTANCE_BANDS_KM[-1])] = _("%(n)d公里以上") % {
        "n": DISTANCE_BANDS_KM[-1]
    }
    labels[NO_DISTANCE] = _("未填距离")
    return labels


def _choices(choices) -> Callable[[], dict[str, str]]:
    return lambda: {str(value): str(label) for value, label in choices}


def _field(name: str):
    return lambda today, param=None: F(name)


def _region(today: dt.date, param: int | None = None):
    return Substr("receiving_unit__path", 1, param or PATH_STEP + 1)


@dataclass(frozen=True)
class Facet:
    key: str
    label: str
    # (today, param) -> the expression over Posting that the facet groups by
    expression: Callable
    coerce: Callable = str
    labels: Callable[[], dict[str, str]] | None = None

    def url_value(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "1" if value else "0"
        return str(value)


def _bool(text: str) -> bool:
    return text == "1"


FACETS = {
    facet.key: facet
    for facet in [
        Facet(
            "kind", _("挂职类型"), _field("kind"), labels=_choices(Posting.Kind.choices)
        ),
        Facet(
            "status",
            _("状态"),
            _field("status"),
            labels=_choices(Posting.Status.choices),
        ),
        Facet(
            "category",
            _("岗位类别"),
            _field("category"),
            labels=_choices(PostCategory.choices),
        ),
        Facet("batch", _("批次"), _field("batch_id"), coerce=int),
        Facet(
            "year",
            _("开始年度"),
            lambda today, param=None: DateYear("start_date"),
            coerce=int,
        ),
        Facet("sending", _("派出单位"), _field("sending_unit_id"), coerce=int),
        Facet("region", _("接收地区"), _region),
        Facet("distance", _("距市区"), _distance_band, labels=distance_band_labels),
        Facet(
            "rank",
            _("职级"),
            _field("cadre__rank"),
            coerce=int,
            labels=_choices(Rank.choices),
        ),
        Facet("age", _("年龄段"), _age_band, labels=age_band_labels),
        Facet(
            "gender",
            _("性别"),
            _field("cadre__gender"),
            labels=_choices(Gender.choices),
        ),
        Facet("ethnicity", _("民族"), _field("cadre__ethnicity")),
        Facet(
            "education",
            _("学历"),
            _field("cadre__education"),
            labels=_choices(Education.choices),
        ),
        Facet(
            "political",
            _("政治面貌"),
            _field("cadre__political_status"),
            labels=_choices(PoliticalStatus.choices),
        ),
        Facet(
            "reserve",
            _("后备干部"),
            _field("cadre__is_reserve"),
            coerce=_bool,
            labels=lambda: {"1": str(_("是")), "0": str(_("否"))},
        ),
    ]
}


@dataclass(frozen=True)
class Pick:
    """One facet value picked: what `?f=` carries."""

    facet: Facet
    value: str
    param: int | None = None

    @property
    def token(self) -> str:
        key = self.facet.key if self.param is None else f"{self.facet.key}.{self.param}"
        return f"{key}:{self.value}"


def parse(token: str) -> Pick | None:
    """The Pick a "key[.param]:value" token names, None when it names none."""
    key, sep, value = token.partition(":")
    if not sep:
        return None
    key, _dot, param = key.partition(".")
    facet = FACETS.get(key)
    if facet is None or (param and not param.isdigit()):
        return None
    try:
        if value:
            facet.coerce(value)
    except ValueError:
        return None
    return Pick(facet, value, int(param) if param else None)


def token(key: str, value, param: int | None = None) -> str:
    return Pick(FACETS[key], FACETS[key].url_value(value), param).token


def group(qs, key: str, *, today: dt.date, param: int | None = None) -> dict:
    """How many of `qs` hold each value of the facet: {value: count}."""
    facet = FACETS[key]
    rows = (
        qs.annotate(facet_value=facet.expression(today, param))
        .order_by()
        .values_list("facet_value")
        .annotate(n=_count())
    )
    return dict(rows)


def group_two(qs, first: str, second: str, *, today: dt.date) -> dict:
    """{(value of first, value of second): count}."""
    a, b = FACETS[first], FACETS[second]
    rows = (
        qs.annotate(
            facet_a=a.expression(today, None), facet_b=b.expression(today, None)
        )
        .order_by()
        .values_list("facet_a", "facet_b")
        .annotate(n=_count())
    )
    return {(x, y): n for x, y, n in rows}


def top(counts: dict) -> tuple[list[tuple], int]:
    """The TOP_ROWS largest (value, count) pairs of a `group`, ties by the
    value's text, and the sum of the others."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    return ordered[:TOP_ROWS], sum(n for _v, n in ordered[TOP_ROWS:])


def exclude_top(qs, key: str, selection, *, today: dt.date):
    """`qs` without the postings holding one of the TOP_ROWS values of the
    facet `key` in `selection` (the rows the statistics page broke down):
    what its "其余" row counts."""
    shown = [value for value, _n in top(group(selection, key, today=today))[0]]
    qs = qs.alias(facet_rest=FACETS[key].expression(today, None))
    others = ~Q(facet_rest__in=[value for value in shown if value is not None])
    if None in shown:
        return qs.filter(others, facet_rest__isnull=False)
    return qs.filter(others | Q(facet_rest__isnull=True))


def _count():
    # COUNT(*): no column of the row is needed.
    return Count("*")


def apply(qs, picks: list[Pick], *, today: dt.date):
    """`qs` narrowed to the postings holding every picked facet value."""
    for index, pick in enumerate(picks):
        name = f"facet_{index}"
        qs = qs.alias(**{name: pick.facet.expression(today, pick.param)})
        if pick.value == "" and pick.facet.coerce is not str:
            qs = qs.filter(**{f"{name}__isnull": True})
        else:
            qs = qs.filter(**{name: pick.facet.coerce(pick.value)})
    return qs


def condition(picks: list[Pick], *, today: dt.date) -> Q:
    """What `apply` filters on, as one condition (for a count beside
    another, `Count(..., filter=condition(...))`)."""
    out = Q()
    for pick in picks:
        expression = pick.facet.expression(today, pick.param)
        if pick.value == "" and pick.facet.coerce is not str:
            out &= Q(IsNull(expression, True))
        else:
            out &= Q(Exact(expression, pick.facet.coerce(pick.value)))
    return out


def describe(pick: Pick) -> str:
    """How a picked value reads on the list: "性别：女" (the facet alone where
    its values are ids or paths)."""
    labels = pick.facet.labels() if pick.facet.labels else {}
    if pick.facet.coerce is int and pick.facet.key not in ("year", "rank"):
        return str(pick.facet.label)
    value = labels.get(pick.value, pick.value) or _("未填")
    return f"{pick.facet.label}：{value}"
