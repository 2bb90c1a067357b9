"""cadres.union: several lists in one query, and that query compiled once."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count, Exists, OuterRef
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadres import union
from cadres.models import Cadre, MonthlyNote, WorkLog
from postings.models import Posting
from tests.factories import CadreFactory, MonthlyNoteFactory, WorkLogFactory


def _logs_and_notes(calls: list, posting_id: int) -> list[union.Part]:
    calls.append(posting_id)
    return [
        union.Part(
            "logs", WorkLog.objects.filter(posting_id=posting_id), {"author": union.WHO}
        ),
        union.Part("notes", MonthlyNote.objects.filter(posting_id=posting_id)),
    ]


def test_the_query_is_built_once_and_bound_to_each_key(world):
    a, b = world.a.posting, world.b.posting
    WorkLogFactory(posting=a, content="甲的日志")
    WorkLogFactory(posting=b, content="乙的日志")
    calls: list = []

    def make(pk):
        return _logs_and_notes(calls, pk)

    first = union.load_prepared("test.once", make, a.pk)
    with CaptureQueriesContext(connection) as queries:
        second = union.load_prepared("test.once", make, b.pk)
    assert len(calls) == 1 and calls[0] < 0  # built once, from a stand-in
    assert len(queries.captured_queries) == 1
    assert [log.content for log in first["logs"]] == ["甲的日志"]
    assert [log.content for log in second["logs"]] == ["乙的日志"]
    assert [n.pk for n in second["notes"]] == [world.b.note.pk]
    log = second["logs"][0]
    assert (
        log.author.username
        == log.author.__class__.objects.get(pk=log.author_id).username
    )


def test_a_sequence_of_keys_is_one_shape_per_length(world):
    a, b = world.a.posting, world.b.posting

    def make(ids):
        return [union.Part("notes", MonthlyNote.objects.filter(posting_id__in=ids))]

    both = union.load_prepared("test.seq", make, [a.pk, b.pk])
    one = union.load_prepared("test.seq", make, [b.pk])
    none = union.load_prepared("test.seq", make, [])
    assert {n.pk for n in both["notes"]} == {world.a.note.pk, world.b.note.pk}
    assert [n.pk for n in one["notes"]] == [world.b.note.pk]
    assert none["notes"] == []


def test_a_key_that_does_not_reach_the_sql_as_a_parameter_is_not_cached(world):
    a, b = world.a.posting, world.b.posting
    calls: list = []

    def make(pk):
        calls.append(pk)
        # The key written into the SQL itself: a compiled query would keep it.
        notes = MonthlyNote.objects.filter(posting_id=RawSQL(str(int(pk)), ()))
        return [union.Part("notes", notes)]

    assert [n.pk for n in union.load_prepared("test.raw", make, a.pk)["notes"]] == [
        world.a.note.pk
    ]
    assert [n.pk for n in union.load_prepared("test.raw", make, b.pk)["notes"]] == [
        world.b.note.pk
    ]
    # Tried once with a stand-in, then built with the real keys each time.
    assert calls[0] < 0 and calls[1:] == [a.pk, b.pk]


@pytest.mark.parametrize("name", ["O'Brien", "100%_王", "a\\b", "'; DROP TABLE x; --"])
def test_strings_in_the_query_keep_their_meaning(tree, name):
    cadre = CadreFactory(name=name, unit=tree.organ_a)
    CadreFactory(name="其他", unit=tree.organ_a)

    def make(pk):
        return [
            union.Part("cadres", Cadre.objects.filter(pk=pk, name=name)),
            union.Part("like", Cadre.objects.filter(pk=pk, name__startswith=name)),
        ]

    rows = union.load_prepared(("test.strings", name), make, cadre.pk)
    assert [c.name for c in rows["cadres"]] == [name]
    assert [c.name for c in rows["like"]] == [name]


def test_rows_come_back_as_the_orm_reads_them(world, org_a):
    posting = world.a.posting
    Posting.objects.filter(pk=posting.pk).update(ended_on=None, mentor="王<师傅>")

    def make(pk):
        return [
            union.Part(
                "postings",
                Posting.objects.filter(pk=pk).annotate(
                    notes=Count("monthly_notes"),
                    has_logs=Exists(WorkLog.objects.filter(posting=OuterRef("pk"))),
                ),
                {
                    "cadre": (),
                    "cadre__unit": (),
                    "sending_unit": (),
                    "receiving_unit": (),
                    "created_by": union.WHO,
                    "successor": ("id",),
                },
            )
        ]

    [loaded] = union.load_prepared("test.orm", make, posting.pk)["postings"]
    orm = Posting.objects.select_related(
        "cadre__unit", "sending_unit", "receiving_unit"
    ).get(pk=posting.pk)
    # More columns than one JSON object takes: several objects, merged again.
    assert len(union._columns(make(posting.pk)[0])) > union.CHUNK
    for field in Posting._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(orm, field.attname), field
    assert loaded.cadre.unit.path == orm.cadre.unit.path
    assert loaded.receiving_unit.name == orm.receiving_unit.name
    assert isinstance(loaded.start_date, dt.date)
    assert loaded.created_at == orm.created_at and loaded.created_at.tzinfo
    assert (loaded.notes, loaded.has_logs) == (1, False)
    with CaptureQueriesContext(connection) as queries:
        assert str(loaded.created_by)
        assert not hasattr(loaded, "successor")  # cached as "none", no query
    assert queries.captured_queries == []


def test_decimals_keep_their_places(world, org_a):
    from tests.assessment.factories import make_round

    a = make_round(org_a, [world.a.posting]).assessments.get()
    a.score = "88.50"
    a.save(update_fields=["score"])
    from assessment.models import Assessment

    def make(pk):
        return [union.Part("a", Assessment.objects.filter(pk=pk))]

    [row] = union.load_prepared("test.decimal", make, a.pk)["a"]
    assert str(row.score) == "88.50"
    assert "detail" in row.get_deferred_fields()  # JSON fields stay deferred


def test_a_nullable_relation_on_the_way_is_skipped(world):
    note = MonthlyNoteFactory(posting=world.a.posting, month=dt.date(2020, 1, 1))

    def make(pk):
        return [union.Part("notes", MonthlyNote.objects.filter(pk=pk))]

    [row] = union.load_prepared("test.plain", make, note.pk)["notes"]
    assert row.month == dt.date(2020, 1, 1)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements: PostgreSQL"
)
def test_postgresql_prepares_the_dossier_query_on_the_server(login, world, org_a):
    """The dossier's one query is planned once per connection (a statement
    prepared on the server), not at every request."""
    client = login(org_a)
    url = reverse("cadres:detail", args=[world.a.posting.cadre_id])
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements: PostgreSQL"
)
@pytest.mark.django_db
def test_strings_written_into_a_prepared_statement_are_quoted():
    sql, params = union._for_postgresql(
        "SELECT %s AS a, %s AS b, %s AS c", ["it's 100%", 7, "\\x"], connection
    )
    assert params == [7]
    with union._cursor("default") as cursor:
        cursor.execute(sql, params)
        assert cursor.fetchone() == ("it's 100%", 7, "\\x")
