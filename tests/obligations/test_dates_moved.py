"""When a posting's dates move (extended, ended early), what it owes moves with
them: the sweep cancels, with a reason and history, the open obligations its
kinds no longer expect, and creates the new ones as they appear."""

import datetime as dt

import pytest

from obligations import services
from obligations.models import Obligation
from portal.compliance import Cell, matrix_rows
from postings import services as posting_services
from postings.models import Posting

from .helpers import clock, of_kind, sweep_at

pytestmark = pytest.mark.django_db

OLD_END = dt.date(2027, 3, 1)
NEW_END = dt.date(2027, 9, 1)


def _open_periods(posting, kind):
    return set(
        of_kind(kind, posting).filter(status="open").values_list("period", flat=True)
    )


def test_an_extension_cancels_the_old_ends_reports_and_appraisal(posting, org_a):
    with clock(dt.date(2027, 2, 10), 9):
        services.catch_up()
    assert OLD_END in _open_periods(posting, "report_final_summary")
    assert OLD_END in _open_periods(posting, "appraisal")
    notes_before = set(of_kind("monthly_note", posting).values_list("pk", "status"))

    with clock(dt.date(2027, 2, 11), 10):
        posting_services.posting_extend(
            posting=posting,
            new_end_date=NEW_END,
            reason="接收单位申请延长",
            approver="县委组织部",
            by=org_a,
        )
    result = sweep_at(dt.date(2027, 2, 12), 7)

    for kind in ("report_final_summary", "appraisal"):
        old = of_kind(kind, posting).get(period=OLD_END)
        assert old.status == Obligation.Status.CANCELLED
        assert "期限已变更" in old.waived_reason
        assert old.shown() == "cancelled"
        # The change is in its history, as every change of an obligation.
        assert old.history.filter(status="cancelled").exists()
        # The new end's is not known yet: it appears 30 days before it.
        assert _open_periods(posting, kind) == set()
    assert result.cancelled >= 2
    # What is still owed stays as it was.
    assert set(of_kind("monthly_note", posting).values_list("pk", "status")) == (
        notes_before
    )

    # Thirty days before the new end, the new end's report falls due.
    sweep_at(NEW_END - dt.timedelta(days=29), 7)
    assert NEW_END in _open_periods(posting, "report_final_summary")
    assert NEW_END in _open_periods(posting, "appraisal")


def test_ending_early_cancels_the_notes_of_the_months_after_the_end(
    posting, org_a, host_a
):
    with clock(dt.date(2026, 9, 15), 9):
        services.catch_up()
    months = [dt.date(2026, m, 1) for m in range(3, 9)]
    assert _open_periods(posting, "monthly_note") == set(months)

    with clock(dt.date(2026, 9, 16), 10):
        posting_services.posting_transition(
            posting=posting,
            action="end_early",
            on=dt.date(2026, 6, 20),
            by=org_a,
            reason="因工作需要提前召回",
        )
    sweep_at(dt.date(2026, 9, 17), 7)

    posting.refresh_from_db()
    assert posting.status == Posting.Status.ENDED_EARLY
    # Owed up to the month it ended in; the months after it are not.
    assert _open_periods(posting, "monthly_note") == set(months[:4])
    cancelled = of_kind("monthly_note", posting).filter(status="cancelled")
    assert set(cancelled.values_list("period", flat=True)) == set(months[4:])
    # Nor are work logs, once it has ended.
    assert not of_kind("work_log", posting).filter(status="open").exists()
    # The compliance matrix shows the months after the end as not owed.
    [row] = matrix_rows(
        org_a,
        Posting.objects.filter(pk=posting.pk),
        months,
        dt.date(2026, 9, 17),
    )
    assert row.cells[4:] == [Cell.NOT_OWED, Cell.NOT_OWED]
    assert row.cells[3] != Cell.NOT_OWED


def test_a_rerun_cancels_nothing_more(posting, org_a):
    with clock(dt.date(2027, 2, 10), 9):
        services.catch_up()
    with clock(dt.date(2027, 2, 11), 10):
        posting_services.posting_extend(
            posting=posting,
            new_end_date=NEW_END,
            reason="接收单位申请延长",
            approver="县委组织部",
            by=org_a,
        )
    first = sweep_at(dt.date(2027, 2, 12), 7)
    again = sweep_at(dt.date(2027, 2, 12), 8)
    assert first.cancelled >= 2
    assert again.cancelled == 0
    assert again.created == 0
