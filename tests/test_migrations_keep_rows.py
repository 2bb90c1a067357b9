"""The records' move from `cadres` to `records` (issue 13) keeps every row:
a populated database at the old migration state is migrated forward, and
every table holds what it held; the rows read through the new models, their
history too, and their content types follow them. Runs on SQLite and, in CI,
on PostgreSQL."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_celery_beat.models import PeriodicTask

from records.models import Attachment, MonthlyNote, NoteMonthLock, WorkLog
from tests.factories import (
    AppraisalFactory,
    CommendationFactory,
    FollowUpVisitFactory,
    MonthlyNoteFactory,
    PostingFactory,
    ReportFactory,
    SupportNeedFactory,
    SymposiumFactory,
    TalkFactory,
    TrainingFactory,
    UserFactory,
    WarningFactory,
    WorkLogFactory,
)

# The last migrations before the move, and the app that did not exist yet.
BEFORE = [("cadres", "0004_list_order_indexes"), ("records", None)]
MOVED_TABLES = [
    "cadres_appraisal",
    "cadres_attachment",
    "cadres_commendation",
    "cadres_followupvisit",
    "cadres_historicalappraisal",
    "cadres_historicalmonthlynote",
    "cadres_historicalreport",
    "cadres_historicalwarning",
    "cadres_monthlynote",
    "cadres_notemonthlock",
    "cadres_report",
    "cadres_supportneed",
    "cadres_symposium",
    "cadres_symposiumattendance",
    "cadres_talk",
    "cadres_training",
    "cadres_warning",
    "cadres_worklog",
]


def _counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (table names from the introspection)
            counts[table] = cursor.fetchone()[0]
    return counts


def _populate() -> None:
    posting = PostingFactory(status="active", start_date=dt.date(2025, 1, 1))
    MonthlyNoteFactory(posting=posting, month=dt.date(2025, 1, 1))
    WorkLogFactory(posting=posting)
    report = ReportFactory(posting=posting)
    for factory in (
        TalkFactory,
        TrainingFactory,
        CommendationFactory,
        FollowUpVisitFactory,
        SupportNeedFactory,
        WarningFactory,
        AppraisalFactory,
    ):
        factory(posting=posting)
    SymposiumFactory(attendees=[posting])
    user = UserFactory()
    Attachment.objects.create(
        report=report,
        original_name="a.pdf",
        stored_name="a" * 32,
        content_type="application/pdf",
        size=1,
        uploaded_by=user,
    )
    NoteMonthLock.objects.create(month=dt.date(2025, 1, 1), locked_by=user)


@pytest.mark.django_db(transaction=True)
def test_moving_the_records_keeps_every_row_and_its_content_type():
    _populate()
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)

    # At the old state the models are cadres'; one more row through them.
    executor.loader.build_graph()
    old = executor.loader.project_state(BEFORE[0]).apps
    old_log = old.get_model("cadres", "WorkLog")
    note = MonthlyNote.objects.get()  # the table is the same; read its ids
    old_log.objects.create(
        posting_id=note.posting_id,
        author_id=note.author_id,
        date=dt.date(2025, 1, 2),
        content="迁移前写的日记录",
    )
    assert ContentType.objects.filter(app_label="cadres", model="worklog").exists()
    before = _counts()
    assert all(before[t] > 0 for t in MOVED_TABLES), {
        t: before[t] for t in MOVED_TABLES if not before[t]
    }

    executor = MigrationExecutor(connection)
    executor.migrate(latest)

    after = _counts()
    # Apps that came after the move (obligations, issue 17) are unapplied
    # with it and come back empty.
    later = {
        t
        for t in after
        if t.startswith(
            ("obligations_", "analytics_", "notifications_", "imports_", "exports_")
        )
    }
    assert {t: after[t] for t in later} == dict.fromkeys(later, 0)
    # The schedules those apps' migrations put in django-celery-beat come
    # back with them (the reminder sweep's daily entry, issue 18).
    schedules = {t for t in after if t.startswith("django_celery_beat_")}
    assert PeriodicTask.objects.filter(name="notifications-sweep").exists()
    migrations = "django_migrations"
    kept = {migrations, *later, *schedules}
    assert {t: n for t, n in after.items() if t not in kept} == {
        t: n for t, n in before.items() if t not in kept
    }
    assert WorkLog.objects.filter(content="迁移前写的日记录").exists()
    assert WorkLog.objects.count() == after["cadres_worklog"]
    assert MonthlyNote.history.count() == after["cadres_historicalmonthlynote"]
    moved = ContentType.objects.filter(model__in=[t[7:] for t in MOVED_TABLES])
    assert sorted(moved.values_list("app_label", flat=True).distinct()) == ["records"]
