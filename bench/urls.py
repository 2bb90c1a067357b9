"""The app's URLs plus the floor pages the figures are measured against.

A floor page is bare: the latest 50 rows of one model by primary key (an index
walk, no filter, no sort) with one select_related, rendered by a minimal
template without context processors, behind the same middleware and login as
the app's pages. It is registered in the URL policy here only, so the
app itself never serves it.
"""

from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from assessment.models import Assessment
from cadres.models import Cadre
from cadres.policy import ANY, URL_POLICY
from guazhi import urls as app_urls
from postings.models import Nomination, Posting
from records.models import MonthlyNote

ROWS = 50


def _template(cells: str):
    return engines["django"].from_string(
        '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8">'
        "<title>floor</title></head><body><table>"
        "{% for o in rows %}<tr>" + cells + "</tr>{% endfor %}"
        "</table></body></html>"
    )


# model key -> (model, the one select_related, row template)
FLOORS = {
    "cadres": (
        Cadre,
        "unit",
        _template(
            "<td>{{ o.pk }}</td><td>{{ o.name }}</td>"
            '<td>{{ o.birth_date|date:"Y-m-d" }}</td><td>{{ o.unit.name }}</td>'
        ),
    ),
    "postings": (
        Posting,
        "cadre",
        _template(
            "<td>{{ o.pk }}</td><td>{{ o.title }}</td>"
            '<td>{{ o.start_date|date:"Y-m-d" }}</td><td>{{ o.cadre.name }}</td>'
        ),
    ),
    "notes": (
        MonthlyNote,
        "posting",
        _template(
            '<td>{{ o.pk }}</td><td>{{ o.month|date:"Y-m" }}</td>'
            "<td>{{ o.days_present }}</td><td>{{ o.posting.title }}</td>"
        ),
    ),
    "nominations": (
        Nomination,
        "cadre",
        _template(
            "<td>{{ o.pk }}</td><td>{{ o.source }}</td>"
            "<td>{{ o.exam_score }}</td><td>{{ o.cadre.name }}</td>"
        ),
    ),
    "assessments": (
        Assessment,
        "posting",
        _template(
            "<td>{{ o.pk }}</td><td>{{ o.score }}</td>"
            "<td>{{ o.grade }}</td><td>{{ o.posting.title }}</td>"
        ),
    ),
}


def floor(request: HttpRequest, model: str) -> HttpResponse:
    model_class, related, template = FLOORS[model]
    rows = model_class.objects.select_related(related).order_by("-pk")[:ROWS]
    return HttpResponse(template.render({"rows": rows}))


@csrf_exempt  # the load client posts without a form; bench settings only
@require_POST
def write(request: HttpRequest) -> HttpResponse:
    """The mixed load's write: one posting saved (with its own values), so the
    postings list reads a table just written to."""
    newest = Posting.objects.order_by("-pk").values("pk")[:1]
    Posting.objects.filter(pk__in=newest).update(title=F("title"))
    return HttpResponse("ok")


URL_POLICY["bench_floor"] = ANY
URL_POLICY["bench_write"] = ANY

urlpatterns = [
    path("bench/floor/<slug:model>/", floor, name="bench_floor"),
    path("bench/write/", write, name="bench_write"),
    *app_urls.urlpatterns,
]
