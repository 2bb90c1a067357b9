from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render

from guazhi.http import AuthenticatedHttpRequest
from postings.models import Posting, Reminder


def home(request: AuthenticatedHttpRequest):
    postings = Posting.objects.visible_to(request.user)
    counts = dict(postings.order_by().values_list("status").annotate(n=Count("pk")))
    by_kind = dict(
        postings.active().order_by().values_list("kind").annotate(n=Count("pk"))
    )
    return render(
        request,
        "home.html",
        {
            "status_counts": [
                (v, label, counts.get(v, 0)) for v, label in Posting.Status.choices
            ],
            "kind_counts": [
                (v, label, by_kind.get(v, 0)) for v, label in Posting.Kind.choices
            ],
            "reminders": Reminder.objects.visible_to(request.user)
            .unread()
            .select_related("posting__cadre")[:8],
        },
    )


@login_not_required
def healthz(request: HttpRequest):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
