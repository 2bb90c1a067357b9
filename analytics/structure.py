"""挂职结构: the postings in a selection broken down by postings.facets, each
number with the URL of the postings list that shows the rows it counts.

Every breakdown is one GROUP BY over the selection (the postings list's own
filters, `PostingFilterForm`, applied to the user's scope); the labels of
units and batches are one query each. The query count does not grow with the
data."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from cadres.models import Gender, Rank, Unit
from postings import facets
from postings.models import Batch, Posting

ROOT_PATH = "/"
VICE_DIVISION = Rank.DEPUTY_DIVISION


@dataclass
class Cell:
    value: int
    url: str = ""


@dataclass
class Row:
    label: str
    cells: list[Cell]

    @property
    def n(self) -> int:
        return self.cells[0].value


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[Row]
    chart: str = "bar"  # "bar" or "pie"; "" for none
    note: str = ""
    total: Cell | None = None
    # The rows beyond facets.TOP_ROWS, summed (the list's `?rest=key`).
    rest: Cell | None = None
    # Shown on screen, left out of the printed 统计表 (a detail the page
    # also sums up in a table that prints).
    screen_only: bool = False

    def chart_data(self) -> dict:
        return {
            "key": self.key,
            "title": str(self.title),
            "type": self.chart,
            "labels": [row.label for row in self.rows],
            "values": [row.n for row in self.rows],
        }


@dataclass
class Structure:
    postings: list[Table] = field(default_factory=list)
    cadres: list[Table] = field(default_factory=list)
    on_posting: Cell | None = None
    women: Cell | None = None
    women_pct: float | None = None
    average_age: float | None = None
    total: int = 0
    years: list[int] = field(default_factory=list)

    @property
    def tables(self) -> list[Table]:
        return self.postings + self.cadres


class Links:
    """URLs of the postings list under the page's filters plus more."""

    def __init__(self, params: list[tuple[str, str]]):
        self.params = params
        # One page's links share the list's path (a page has ~150 links).
        self.path = reverse("postings:list")

    def url(self, *tokens: str, status: str = "", rest: str = "") -> str:
        extra = [("status", status)] if status else []
        extra += [("rest", rest)] if rest else []
        extra += [("f", token) for token in tokens]
        return f"{self.path}?{urlencode(self.params + extra)}"


def _labelled(counts: dict, key: str, links: Links, status: str = "") -> list[Row]:
    """Rows in the order of the facet's labels, then any other value seen."""
    facet = facets.FACETS[key]
    by_text: dict[str, int] = {}
    for value, n in counts.items():
        text = facet.url_value(value)
        by_text[text] = by_text.get(text, 0) + n
    labels = facet.labels() if facet.labels else {}
    order = [t for t in labels if t in by_text]
    order += sorted(t for t in by_text if t not in labels)
    return [
        Row(
            str(labels.get(text) or text or _("未填")),
            [Cell(by_text[text], links.url(f"{key}:{text}", status=status))],
        )
        for text in order
    ]


def _rest(n: int, key: str, links: Links) -> Cell | None:
    return Cell(n, links.url(rest=key)) if n else None


def _ranked(top: list[tuple], names: dict, key: str, links: Links, empty: str):
    return [
        Row(
            str(names.get(value, empty if value is None else value)),
            [Cell(n, links.url(facets.token(key, value)))],
        )
        for value, n in top
    ]


def build(qs, *, params: list[tuple[str, str]], root: Unit | None, today: dt.date):
    """The 挂职结构 of the postings `qs` (already scoped and filtered);
    `params` are the page's filters the drill-down links carry."""
    links = Links(params)

    def group(key, rows=qs, **kw):
        return facets.group(rows, key, today=today, **kw)

    out = Structure()

    def simple(key, title, chart="bar"):
        rows = _labelled(group(key), key, links)
        return Table(key, title, [_("人次")], rows, chart)

    out.postings.append(simple("kind", _("按挂职类型"), "pie"))
    total = sum(row.n for row in out.postings[0].rows)
    out.postings.append(simple("status", _("按状态"), "pie"))
    out.postings.append(simple("category", _("按岗位类别")))

    # Receiving region: the next level down the tree below the root; a unit
    # at or above that level counts as itself.
    root_path = root.path if root else ROOT_PATH
    depth = len(root_path) + facets.PATH_STEP
    regions = group("region", param=depth)
    # Only the names shown are read: a province has a thousand sending units.
    sending, sending_rest = facets.top(group("sending"))
    batches, batches_rest = facets.top(group("batch"))
    units = dict(
        Unit.objects.filter(pk__in=[pk for pk, _n in sending if pk]).values_list(
            "pk", "name"
        )
    ) | {
        path: name
        for path, name in Unit.objects.filter(path__in=list(regions)).values_list(
            "path", "name"
        )
    }
    region_rows = []
    for path, n in sorted(regions.items(), key=lambda item: (-item[1], item[0])):
        name = units.get(path, path)
        if not path.startswith(root_path):
            name = _("%(name)s（辖区外）") % {"name": name}
        elif len(path) < depth:
            name = _("%(name)s（本级）") % {"name": name}
        region_rows.append(
            Row(str(name), [Cell(n, links.url(facets.token("region", path, depth)))])
        )
    out.postings.append(Table("region", _("按接收地区"), [_("人次")], region_rows))
    rows = _ranked(sending, units, "sending", links, "")
    out.postings.append(
        Table(
            "sending",
            _("按派出单位"),
            [_("人次")],
            rows,
            rest=_rest(sending_rest, "sending", links),
        )
    )
    batch_names = dict(
        Batch.objects.filter(pk__in=[pk for pk, _n in batches if pk]).values_list(
            "pk", "name"
        )
    )
    rows = _ranked(batches, batch_names, "batch", links, str(_("未编入批次")))
    out.postings.append(
        Table(
            "batch",
            _("按批次"),
            [_("人次")],
            rows,
            rest=_rest(batches_rest, "batch", links),
        )
    )

    years = group("year")
    out.years = sorted(years)
    out.postings.append(
        Table(
            "year",
            _("按开始年度"),
            [_("人次")],
            [
                Row(
                    str(year),
                    [Cell(years[year], links.url(facets.token("year", year)))],
                )
                for year in sorted(years)
            ],
        )
    )

    # Rule 12: women nearer the city, vice-division reserve cadres to remote
    # townships: the distance bands with both beside the total, counted in
    # one pass (the conditions the links' facets filter on).
    women_picks = [facets.parse(facets.token("gender", Gender.FEMALE))]
    vice_picks = [
        facets.parse(facets.token("rank", VICE_DIVISION)),
        facets.parse(facets.token("reserve", True)),
    ]
    bands = {
        band: (n, women, vice)
        for band, n, women, vice in qs.annotate(
            facet_value=facets.FACETS["distance"].expression(today, None)
        )
        .order_by()
        .values_list("facet_value")
        .annotate(
            n=Count("*"),
            women=Count("pk", filter=facets.condition(women_picks, today=today)),
            vice=Count("pk", filter=facets.condition(vice_picks, today=today)),
        )
    }
    distance_rows = []
    for band, label in facets.distance_band_labels().items():
        if band not in bands:
            continue
        n, women, vice = bands[band]
        token = facets.token("distance", band)
        distance_rows.append(
            Row(
                str(label),
                [
                    Cell(n, links.url(token)),
                    Cell(women, links.url(token, *(p.token for p in women_picks))),
                    Cell(vice, links.url(token, *(p.token for p in vice_picks))),
                ],
            )
        )
    out.postings.append(
        Table(
            "distance",
            _("按距市区距离（规则12）"),
            [_("人次"), _("其中女性"), _("其中副处级后备干部")],
            distance_rows,
            note=_(
                "规则12：女干部安排在离市区较近的单位，副处级后备干部安排到偏远乡镇。"
            ),
        )
    )

    # The cadres on posting: one active posting per cadre (rule 1), so the
    # active postings of the selection are its cadres.
    active = qs.filter(status=Posting.Status.ACTIVE)
    active_url = links.url(status=Posting.Status.ACTIVE)
    for key, title, chart in [
        ("rank", _("按职级"), "bar"),
        ("age", _("按年龄段"), "bar"),
        ("gender", _("按性别"), "pie"),
        ("ethnicity", _("按民族"), "pie"),
        ("education", _("按学历"), "bar"),
        ("political", _("按政治面貌"), "pie"),
        ("reserve", _("后备干部"), "pie"),
    ]:
        counts = group(key, rows=active)
        if key == "gender":
            women_n = counts.get(Gender.FEMALE, 0)
        rows = _labelled(counts, key, links, status=Posting.Status.ACTIVE)
        out.cadres.append(Table(f"cadre_{key}", title, [_("人数")], rows, chart))
    births = dict(
        active.order_by().values_list("cadre__birth_date").annotate(n=Count("*"))
    )
    on_posting = sum(births.values())
    out.on_posting = Cell(on_posting, active_url)
    if on_posting:
        ages = sum(_age(born, today) * n for born, n in births.items())
        out.average_age = round(ages / on_posting, 1)
    out.women = Cell(
        women_n,
        links.url(facets.token("gender", Gender.FEMALE), status=Posting.Status.ACTIVE),
    )
    if on_posting:
        out.women_pct = round(100 * women_n / on_posting, 1)
    out.total = total
    return out


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
