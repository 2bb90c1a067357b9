"""Views: ballots. PLACEHOLDERS until this module is written (not to be committed as final)."""

from django.http import Http404


def session_open(request, *args, **kwargs):
    raise Http404


def session_detail(request, *args, **kwargs):
    raise Http404


def session_close(request, *args, **kwargs):
    raise Http404


def slips(request, *args, **kwargs):
    raise Http404


def ballot_entry(request, *args, **kwargs):
    raise Http404


def ballot(request, *args, **kwargs):
    raise Http404
