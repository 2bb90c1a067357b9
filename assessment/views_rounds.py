"""Views: rounds. PLACEHOLDERS until this module is written (not to be committed as final)."""

from django.http import Http404


def template_list(request, *args, **kwargs):
    raise Http404


def template_create(request, *args, **kwargs):
    raise Http404


def template_detail(request, *args, **kwargs):
    raise Http404


def template_revise(request, *args, **kwargs):
    raise Http404


def round_list(request, *args, **kwargs):
    raise Http404


def round_create(request, *args, **kwargs):
    raise Http404


def round_detail(request, *args, **kwargs):
    raise Http404


def round_edit(request, *args, **kwargs):
    raise Http404


def round_transition(request, *args, **kwargs):
    raise Http404
