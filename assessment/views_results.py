"""Views: results. PLACEHOLDERS until this module is written (not to be committed as final)."""

from django.http import Http404


def round_results(request, *args, **kwargs):
    raise Http404


def round_export(request, *args, **kwargs):
    raise Http404


def assessment_detail(request, *args, **kwargs):
    raise Http404
