"""The notification centre: the user's reminders, marking them read, and how
each kind reaches them."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guazhi.http import AuthenticatedHttpRequest
from guazhi.listing import page_context, paginate
from obligations import registry
from postings.models import Reminder

from . import services
from .forms import PreferencesForm
from .models import Notification

LEGACY_SHOWN = 20


def _mine(request: AuthenticatedHttpRequest):
    return Notification.objects.visible_to(request.user)


def centre(request: AuthenticatedHttpRequest):
    qs = _mine(request).select_related(
        "obligation__posting__cadre", "obligation__posting__receiving_unit"
    )
    show = request.GET.get("show", "")
    if show == "unread":
        qs = qs.unread()
    page = paginate(request, qs)
    return render(
        request,
        "notifications/centre.html",
        {
            "items": services.centre_items(list(page), request.user),
            "show": show,
            # The unread reminders of before the ladder (warnings); all of
            # them on their own page.
            "legacy": Reminder.objects.visible_to(request.user)
            .unread()
            .select_related("posting")[:LEGACY_SHOWN],
            **page_context(request, page),
        },
    )


@require_POST
def read(request: AuthenticatedHttpRequest, pk: int):
    """Mark read and go to the form that fulfils the obligation."""
    notification = get_object_or_404(_mine(request).select_related("obligation"), pk=pk)
    notification.mark_read()
    return redirect(notification.obligation.get_fulfil_url(request.user))


@require_POST
def read_all(request: AuthenticatedHttpRequest):
    n = _mine(request).unread().update(read_at=timezone.now())
    messages.info(request, _("已将%(n)d条提醒标为已读。") % {"n": n})
    return redirect("notifications:centre")


def preferences(request: AuthenticatedHttpRequest):
    kinds = {key: str(kind.label) for key, kind in registry.KINDS.items()}
    form = PreferencesForm(
        request.POST or None,
        kinds=kinds,
        initial_modes=services.preferences_of(request.user),
    )
    if request.method == "POST" and form.is_valid():
        services.preferences_save(user=request.user, modes=form.cleaned_data)
        messages.success(request, _("提醒方式已保存。"))
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "has_email": bool(request.user.email)},
    )
