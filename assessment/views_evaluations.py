"""Views: evaluations. PLACEHOLDERS until this module is written (not to be committed as final)."""

from django.http import Http404


def my_tasks(request, *args, **kwargs):
    raise Http404


def evaluate(request, *args, **kwargs):
    raise Http404
