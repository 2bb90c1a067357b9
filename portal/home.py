"""The home page (工作台): each role's page leads with what the user owes,
overdue first, each item one click from the form that fulfils it; org staff
(and the admin) then see their jurisdiction: overdue items by kind and unit,
postings ending soon, rounds ready to close and new warnings. Below, for
everyone, the postings in scope by status and kind, and the unread reminders.

Every block is a fixed number of queries (a slice or a GROUP BY), whatever the
data holds, and every one starts from a scope."""

import datetime as dt
from collections import Counter

from django.db.models import Count, Window
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from assessment.models import Round
from cadres.models import Role
from guazhi.http import AuthenticatedHttpRequest
from notifications.services import latest_unread
from obligations.models import Obligation, Shown, shown_q
from postings.models import Posting
from records.models import Warning, WorkLog

from . import duties

# How many of the user's own items the page lists (the rest: the list page).
OWED_SHOWN = 20
# Items due within this many days are listed beside the overdue ones.
OWED_HORIZON_DAYS = 30
# The jurisdiction's blocks.
ENDING_WITHIN_DAYS = 30
NEW_WARNING_DAYS = 7
JURISDICTION_SHOWN = 10
ORG_ROLES = (Role.ORG_STAFF, Role.ADMIN)


def home(request: AuthenticatedHttpRequest):
    user, today = request.user, timezone.localdate()
    # The latest eight unread: (text, time), no model instances; and the
    # count of all, which the navbar's badge shows (no second count).
    reminders, unread = latest_unread(user, 8)
    context = {
        **_owed(user, today),
        **_posting_counts(user),
        "reminders": reminders,
        "unread_reminders": unread,
    }
    if user.role == Role.CADRE:
        context["today_logs"] = _today_logs(user, today)
    if user.role in ORG_ROLES:
        context.update(_jurisdiction(user, today))
    return render(request, "home.html", context)


def _owed(user, today: dt.date) -> dict:
    """The user's own open obligations: overdue and due within the horizon,
    the earliest due first (so the overdue ones lead)."""
    mine = Obligation.objects.owed_by_user(user).open()
    soon = mine.filter(due_on__lte=today + dt.timedelta(days=OWED_HORIZON_DAYS))
    counts = soon.aggregate(
        total=Count("pk"), overdue=Count("pk", filter=shown_q(Shown.OVERDUE, today))
    )
    listed = soon.select_related(*duties.ROW_RELATED).order_by("due_on", "pk")
    return {
        # Nothing owed, nothing to list: no query for the rows.
        "owed": (
            duties.rows(listed[:OWED_SHOWN], user, today) if counts["total"] else []
        ),
        "owed_total": counts["total"],
        "owed_overdue": counts["overdue"],
        "owed_more": max(counts["total"] - OWED_SHOWN, 0),
        "owed_list_url": reverse("obligations:list")
        + "?"
        + urlencode({"mine": "1", "status": Shown.OPEN}),
    }


def _first_and_total(qs, n: int) -> tuple[list, int]:
    """The first `n` rows of `qs` and how many rows it holds, in one query
    (a window count over the whole result, taken before the limit)."""
    rows = list(qs.annotate(total_rows=Window(Count("pk")))[:n])
    if not rows:
        return [], 0
    first = rows[0]
    return rows, first["total_rows"] if isinstance(first, dict) else first.total_rows


def _posting_counts(user) -> dict:
    # One GROUP BY over the postings in scope: counts per (status, kind).
    counts, by_kind = Counter(), Counter()
    for (status, kind), n in Posting.objects.count_visible(
        user, "status", "kind"
    ).items():
        counts[status] += n
        if status == Posting.Status.ACTIVE:
            by_kind[kind] += n
    return {
        "status_counts": [
            (v, label, counts.get(v, 0)) for v, label in Posting.Status.choices
        ],
        "kind_counts": [
            (v, label, by_kind.get(v, 0)) for v, label in Posting.Kind.choices
        ],
    }


def _today_logs(user, today: dt.date) -> list[dict]:
    """The cadre's active postings, each with today's log written or not."""
    postings = (
        Posting.objects.visible_to(user)
        .active()
        .select_related("receiving_unit")
        .order_by("start_date", "pk")
    )
    written = set(
        WorkLog.objects.visible_to(user)
        .filter(posting__in=postings, date=today)
        .values_list("posting_id", flat=True)
    )
    return [
        {
            "posting": f"{p.receiving_unit.name}{p.title}",
            "written": p.pk in written,
            "url": reverse("cadres:worklog_create", args=[p.pk]),
        }
        for p in postings
    ]


def _jurisdiction(user, today: dt.date) -> dict:
    overdue = (
        Obligation.objects.visible_to(user)
        .filter(shown_q(Shown.OVERDUE, today))
        .order_by()
    )
    labels = dict(duties.kind_choices())
    list_url = reverse("obligations:list")
    by_kind = [
        {
            "label": labels.get(row["kind"], row["kind"]),
            "n": row["n"],
            "url": f"{list_url}?"
            + urlencode({"status": Shown.OVERDUE, "kind": row["kind"]}),
        }
        for row in overdue.values("kind").annotate(n=Count("*")).order_by("-n", "kind")
    ]
    overdue_total = sum(row["n"] for row in by_kind)
    by_unit = [
        {
            "kind": labels.get(row["kind"], row["kind"]),
            "unit": row["unit__name"] or "—",
            "n": row["n"],
            "url": f"{list_url}?"
            + urlencode(
                {
                    "status": Shown.OVERDUE,
                    "kind": row["kind"],
                    **({"unit": row["unit"]} if row["unit"] else {}),
                }
            ),
        }
        for row in (
            overdue.values("kind", "unit", "unit__name")
            .annotate(n=Count("*"))
            .order_by("-n", "kind", "unit")[: JURISDICTION_SHOWN * 2]
            if overdue_total
            else []
        )
    ]
    ending, ending_count = _first_and_total(
        Posting.objects.visible_to(user)
        .active()
        .filter(
            planned_end_date__gte=today,
            planned_end_date__lte=today + dt.timedelta(days=ENDING_WITHIN_DAYS),
        )
        .select_related("cadre", "receiving_unit")
        .order_by("planned_end_date", "pk"),
        JURISDICTION_SHOWN,
    )
    rounds, rounds_count = _first_and_total(
        Round.objects.visible_to(user)
        .filter(status=Round.Status.COLLECTING, period_end__lte=today)
        .order_by("period_end", "pk")
        .values("pk", "name", "period_end"),
        JURISDICTION_SHOWN,
    )
    since = timezone.now() - dt.timedelta(days=NEW_WARNING_DAYS)
    warnings, warnings_count = _first_and_total(
        Warning.objects.visible_to(user)
        .filter(created_at__gte=since, status=Warning.Status.ACTIVE)
        .select_related("posting__cadre")
        # The window count holds every row until the limit: only what the
        # block shows, not the three tables' every column.
        .only("level", "dimension", "occurred_on", "posting__cadre__name")
        .order_by("-created_at", "-pk"),
        JURISDICTION_SHOWN,
    )
    return {
        "jurisdiction": True,
        "overdue_by_kind": by_kind,
        "overdue_by_unit": by_unit,
        "overdue_total": overdue_total,
        "ending": ending,
        "ending_count": ending_count,
        "ending_url": reverse("postings:list")
        + "?"
        + urlencode(
            {"status": Posting.Status.ACTIVE, "ending_within": ENDING_WITHIN_DAYS}
        ),
        "rounds_ready": rounds,
        "rounds_ready_count": rounds_count,
        "new_warnings": warnings,
        "new_warnings_count": warnings_count,
        "ending_within_days": ENDING_WITHIN_DAYS,
        "new_warning_days": NEW_WARNING_DAYS,
    }
