"""民主测评: after close nothing ties a ballot to its code or its rater.

The probes of the issue, run against the database itself: PostgreSQL's
transaction ids (xmin), the physical order of rows (SQLite's rowid,
PostgreSQL's ctid), ids, and what the server logs and caches. While a session
is open its ballots wait as pending rows, which do share a transaction with
their code (so a ballot can never be lost or counted twice); the controls
below show the probes find that tie there, and nothing once the session is
closed.
"""

import pickle

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment import ballots
from assessment.config import DIMENSION_CODES
from assessment.models import Ballot, BallotCode, BallotSession, PendingBallot
from assessment.services import round_transition
from tests.assessment.factories import make_round

N_CAST = 10  # a shuffle keeps casting order with probability 1/10!
GROUPS = [{"name": "全体干部", "weight": 100, "size": N_CAST + 2}]

# Constant SQL: the probes of the issue, nothing interpolated.
PG_XMIN_JOIN = (
    "SELECT b.id, c.code FROM assessment_ballot b "
    "JOIN assessment_ballotcode c ON b.xmin = c.xmin"
)
PG_PENDING_XMIN_JOIN = (
    "SELECT p.comment, c.code FROM assessment_pendingballot p "
    "JOIN assessment_ballotcode c ON p.xmin = c.xmin"
)
PHYSICAL_ORDER = {
    "sqlite": "SELECT comment FROM assessment_ballot ORDER BY rowid",
    "postgresql": "SELECT comment FROM assessment_ballot ORDER BY ctid",
}
PENDING_PHYSICAL_ORDER = {
    "sqlite": "SELECT comment FROM assessment_pendingballot ORDER BY rowid",
    "postgresql": "SELECT comment FROM assessment_pendingballot ORDER BY ctid",
}


def _rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _open(assessment, by, groups=GROUPS):
    return ballots.session_open(
        assessment=assessment, groups=groups, min_turnout_pct=50, by=by
    )


def _cast_in_order(session) -> list[tuple[str, str]]:
    """Cast N_CAST ballots, each in its own transaction, each with a comment
    naming its place in the casting order. Returns (code, comment) in order."""
    codes = list(
        BallotCode.objects.filter(group__session=session)
        .order_by("pk")
        .values_list("code", flat=True)
    )
    cast = []
    for i, code in enumerate(codes[:N_CAST]):
        comment = f"第{i:02d}张"
        ballots.cast_ballot(
            code=code,
            grades=dict.fromkeys(DIMENSION_CODES, "excellent"),
            comment=comment,
        )
        cast.append((code, comment))
    return cast


@pytest.fixture
def session(round_a, org_a):
    return _open(round_a.assessments.get(), org_a)


# --- The database ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_after_close_no_ballot_shares_a_transaction_id_with_a_code(session, org_a):
    if connection.vendor != "postgresql":
        pytest.skip("xmin is PostgreSQL's")
    cast = _cast_in_order(session)
    # Control: while open, the probe ties every pending ballot to its code.
    assert sorted(_rows(PG_PENDING_XMIN_JOIN)) == sorted(
        (comment, code) for code, comment in cast
    )
    ballots.session_close(session=session, by=org_a)
    assert Ballot.objects.count() == N_CAST
    assert _rows(PG_XMIN_JOIN) == []
    assert _rows(PG_PENDING_XMIN_JOIN) == []


PG_PENDING_SIZE = "SELECT pg_relation_size('assessment_pendingballot')"


@pytest.mark.django_db(transaction=True)
def test_after_close_no_deleted_pending_ballot_stays_on_disk(session, org_a):
    """PostgreSQL keeps deleted rows in the table's pages until a vacuum
    reuses the space: with pageinspect, a closed session's pending ballots
    could be read back, each with the transaction id of its code. Closing
    rewrites the table (VACUUM FULL after the commit), so no page is left."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's pages (SQLite: secure_delete, tested below)")
    _cast_in_order(session)
    assert _rows(PG_PENDING_SIZE)[0][0] > 0  # control: the pending rows' pages
    ballots.session_close(session=session, by=org_a)
    assert Ballot.objects.count() == N_CAST
    assert _rows(PG_PENDING_SIZE) == [(0,)]


@pytest.mark.django_db(transaction=True)
def test_after_close_the_ballots_row_order_and_ids_are_not_casting_order(
    session, org_a
):
    cast_order = [comment for _code, comment in _cast_in_order(session)]
    physical = PHYSICAL_ORDER[connection.vendor]
    # Control: pending rows do lie in casting order, and the probe sees it.
    pending_sql = PENDING_PHYSICAL_ORDER[connection.vendor]
    assert [c for (c,) in _rows(pending_sql)] == cast_order
    ballots.session_close(session=session, by=org_a)
    on_disk = [c for (c,) in _rows(physical)]
    assert sorted(on_disk) == sorted(cast_order)  # every ballot, once
    assert on_disk != cast_order
    by_id = list(Ballot.objects.order_by("id").values_list("comment", flat=True))
    assert by_id != cast_order
    unordered = list(Ballot.objects.order_by().values_list("comment", flat=True))
    assert unordered != cast_order
    assert not PendingBallot.objects.exists()


def test_the_cast_transaction_writes_only_the_code_and_the_pending_ballot(session):
    code = BallotCode.objects.filter(group__session=session).first().code
    with CaptureQueriesContext(connection) as ctx:
        ballots.cast_ballot(code=code, grades=dict.fromkeys(DIMENSION_CODES, "basic"))
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert len(writes) == 2, writes
    assert writes[0].startswith('UPDATE "assessment_ballotcode"')
    assert writes[1].startswith('INSERT INTO "assessment_pendingballot"')


def test_closing_moves_every_pending_ballot_into_the_ballots_once(session, org_a):
    cast = _cast_in_order(session)
    assert PendingBallot.objects.count() == N_CAST
    assert not Ballot.objects.exists()
    pending_ids = set(PendingBallot.objects.values_list("pk", flat=True))
    ballots.session_close(session=session, by=org_a)
    assert not PendingBallot.objects.exists()
    assert sorted(Ballot.objects.values_list("comment", flat=True)) == sorted(
        comment for _code, comment in cast
    )
    assert not pending_ids & set(Ballot.objects.values_list("pk", flat=True))
    counts = ballots.turnout(session)
    assert (counts.cast, counts.issued) == (N_CAST, N_CAST + 2)


def test_turnout_counts_pending_ballots_while_open(session, login, org_a):
    _cast_in_order(session)
    counts = ballots.turnout(session)
    assert (counts.cast, counts.issued, counts.reached) == (N_CAST, N_CAST + 2, True)
    round_page = login(org_a).get(
        reverse("assessment:round_detail", args=[session.assessment.round_id])
    )
    assert f"{N_CAST}/{N_CAST + 2}" in round_page.content.decode()


def test_a_failed_cast_spends_no_code(session, monkeypatch):
    code = BallotCode.objects.filter(group__session=session).first().code

    def server_stops(*args, **kwargs):
        raise RuntimeError("the server stopped")

    monkeypatch.setattr(PendingBallot, "save", server_stops)
    with pytest.raises(RuntimeError):
        ballots.cast_ballot(code=code, grades=dict.fromkeys(DIMENSION_CODES, "basic"))
    assert not BallotCode.objects.get(code=code).used
    monkeypatch.undo()
    ballots.cast_ballot(code=code, grades=dict.fromkeys(DIMENSION_CODES, "basic"))
    assert PendingBallot.objects.count() == 1


def test_a_close_that_stops_half_way_loses_and_doubles_nothing(
    session, org_a, monkeypatch
):
    _cast_in_order(session)
    delete = QuerySet.delete

    def stop_before_deleting_pending(qs):
        if qs.model is PendingBallot:
            raise RuntimeError("the server stopped")
        return delete(qs)

    monkeypatch.setattr(QuerySet, "delete", stop_before_deleting_pending)
    with pytest.raises(RuntimeError):
        ballots.session_close(session=session, by=org_a)
    monkeypatch.undo()
    session.refresh_from_db()
    assert session.status == BallotSession.Status.OPEN
    assert (PendingBallot.objects.count(), Ballot.objects.count()) == (N_CAST, 0)
    ballots.session_close(session=session, by=org_a)
    assert (PendingBallot.objects.count(), Ballot.objects.count()) == (0, N_CAST)


def test_closing_the_round_releases_the_ballots_and_reopening_keeps_them(
    session, round_a, org_a
):
    _cast_in_order(session)
    round_transition(round_=round_a, action="close", by=org_a)
    session.refresh_from_db()
    assert session.status == BallotSession.Status.CLOSED
    assert (PendingBallot.objects.count(), Ballot.objects.count()) == (0, N_CAST)
    assessment = round_a.assessments.get()
    assert assessment.detail["sources"]  # stored, with the ballots counted
    score = assessment.score
    round_transition(round_=round_a, action="reopen", by=org_a, reason="复核")
    unused = BallotCode.objects.filter(group__session=session, used=False).first()
    with pytest.raises(ValidationError, match="本次测评已结束"):
        ballots.cast_ballot(
            code=unused.code, grades=dict.fromkeys(DIMENSION_CODES, "basic")
        )
    round_transition(round_=round_a, action="close", by=org_a)
    assessment.refresh_from_db()
    assert assessment.score == score
    assert (PendingBallot.objects.count(), Ballot.objects.count()) == (0, N_CAST)


def test_scores_are_the_same_as_with_ballots_stored_directly(world, org_a):
    """One scenario two ways: ballots cast while open and released at close,
    and the same grades written straight into `Ballot` (as before pending
    ballots existed). The stored results agree."""
    grades = ["excellent", "excellent", "competent", "basic", "competent"] * 2

    def closed_round(name, *, direct: bool):
        round_ = make_round(org_a, [world.a.posting], name=name)
        session = _open(round_.assessments.get(), org_a)
        codes = list(
            BallotCode.objects.filter(group__session=session).order_by("pk")[
                : len(grades)
            ]
        )
        for code, grade in zip(codes, grades, strict=True):
            given = dict.fromkeys(DIMENSION_CODES, grade)
            if direct:
                BallotCode.objects.filter(pk=code.pk).update(used=True)
                Ballot.objects.create(
                    group=code.group, cast_on=round_.period_end, grades=given
                )
            else:
                ballots.cast_ballot(code=code.code, grades=given)
        round_transition(round_=round_, action="close", by=org_a)
        return round_.assessments.get()

    released = closed_round("2026年第一次", direct=False)
    direct = closed_round("2026年第二次", direct=True)
    assert released.score is not None
    assert (released.score, released.grade) == (direct.score, direct.grade)
    assert released.detail["sources"] == direct.detail["sources"]


# --- What the server logs and caches --------------------------------------------


def test_no_log_line_or_cache_entry_holds_a_code(session, caplog):
    """Unknown, used and fresh codes through the public page: the logs (django's
    request log included) and the cache (the rate limit) never hold one."""
    cache.clear()
    issued = set(BallotCode.objects.values_list("code", flat=True))
    unknown = next(c for c in ("ZZZZ2345", "YYYY2345") if c not in issued)
    fresh, spent = sorted(issued)[:2]
    ballots.cast_ballot(code=spent, grades=dict.fromkeys(DIMENSION_CODES, "basic"))
    entry = reverse("assessment:ballot_entry")
    grades = {f"dim_{d}": "competent" for d in DIMENSION_CODES}
    client = Client()
    with caplog.at_level("DEBUG"):
        assert client.post(entry, {"code": unknown}).status_code == 404
        assert client.post(entry, {"code": spent}).status_code == 410
        assert client.post(entry, {"code": fresh}).status_code == 200
        done = client.post(entry, {"code": fresh, "cast": "1", **grades})
        assert "提交成功" in done.content.decode()
    text = caplog.text
    assert "/assessment/b/" in text  # the 404 was logged, by its path only
    for code in (unknown, spent, fresh):
        assert code not in text
        assert ballots.display_code(code) not in text
    entries = [
        (key, pickle.loads(value))
        for key, value in cache._cache.items()  # LocMemCache in the tests
    ]
    assert entries  # the failed look-up is counted
    for code in (unknown, spent, fresh):
        assert not [e for e in entries if code in repr(e)]


def test_no_ballot_page_is_reached_through_a_url_with_the_code(session):
    code = BallotCode.objects.filter(group__session=session).first().code
    client = Client()
    for url in (
        f"/assessment/b/{code}/",
        f"/assessment/b/{ballots.display_code(code)}/",
        f"{reverse('assessment:ballot_entry')}?code={code}",
    ):
        html = client.get(url).content.decode()
        assert 'name="dim_de"' not in html, url
    assert not BallotCode.objects.get(code=code).used


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own setting")
def test_sqlite_overwrites_deleted_rows(db):
    """A pending ballot deleted at close leaves no bytes in the database file
    (PRAGMA secure_delete): its content cannot be read back from free pages."""
    assert _rows("PRAGMA secure_delete") == [(1,)]
