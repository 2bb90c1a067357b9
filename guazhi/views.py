from collections import Counter

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render

from guazhi.http import AuthenticatedHttpRequest
from postings.models import Posting, Reminder


def home(request: AuthenticatedHttpRequest):
    # One GROUP BY over the postings in scope: counts per (status, kind).
    counts, by_kind = Counter(), Counter()
    for (status, kind), n in Posting.objects.count_visible(
        request.user, "status", "kind"
    ).items():
        counts[status] += n
        if status == Posting.Status.ACTIVE:
            by_kind[kind] += n
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
            # The latest eight unread: two columns, no model instances.
            "reminders": Reminder.objects.visible_to(request.user)
            .unread()
            .values_list("message", "created_at")[:8],
        },
    )


@login_not_required
def healthz(request: HttpRequest):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
