from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from guazhi.http import AuthenticatedHttpRequest

from . import lookups
from .forms import units_for


@require_http_methods(["GET"])
def lookup(request: AuthenticatedHttpRequest):
    """Suggestions for a lookup field (cadres.lookups): <option>s for its datalist."""
    source = lookups.SOURCES.get(request.GET.get("source", ""))
    text = request.GET.get(request.GET.get("field", "q"), "")
    options = source.suggest(request.user, text) if source else []
    return HttpResponse(lookups.options_html(options))


def unit_tree(request: AuthenticatedHttpRequest):
    units = units_for(request.user).annotate(
        cadre_count=Count("cadres", distinct=True),
        hosted=Count(
            "received_postings",
            filter=Q(received_postings__status="active"),
            distinct=True,
        ),
    )
    base = min((u.depth for u in units), default=0)
    return render(
        request, "cadres/unit_tree.html", {"units": units, "base_depth": base}
    )
