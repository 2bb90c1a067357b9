"""List pages and the export run the same number of queries for 5 and 50 rows.

Every row gets its own cadre, units and author, so a lookup per row (N+1)
would add queries when the rows grow from 5 to 50.
"""

import datetime as dt
import itertools
import uuid
from io import BytesIO

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadres.models import Role, Unit
from obligations.services import catch_up
from postings.models import (
    Assignment,
    Batch,
    Extension,
    Nomination,
    OpenPost,
    Posting,
    RuleOverride,
    StatusChange,
)
from records.models import Attachment, Report
from tests.factories import (
    CadreFactory,
    CommendationFactory,
    FollowUpVisitFactory,
    MonthlyNoteFactory,
    PostingFactory,
    ReminderFactory,
    ReportFactory,
    SupportNeedFactory,
    SymposiumFactory,
    TalkFactory,
    TrainingFactory,
    UnitFactory,
    UserFactory,
    WarningFactory,
    WorkLogFactory,
    account_for,
    leader_of,
)


@pytest.fixture(autouse=True)
def _one_page(settings):
    settings.PAGE_SIZE = 100  # all 50 rows on one page, so N+1 would show


def _posting(tree, receiving_unit=None):
    """A posting from a fresh organ of county A to a fresh township of county B."""
    home = UnitFactory(parent=tree.county_a)
    return PostingFactory(
        cadre=CadreFactory(unit=home),
        sending_unit=home,
        receiving_unit=receiving_unit
        or UnitFactory(parent=tree.county_b, kind=Unit.Kind.TOWNSHIP),
    )


def add_cadres(tree, user, n):
    return [CadreFactory(unit=UnitFactory(parent=tree.county_a)).name for _ in range(n)]


def add_postings(tree, user, n):
    return [_posting(tree).cadre.name for _ in range(n)]


def add_notes(tree, user, n):
    host = user.unit if user.role == Role.HOST_LEADER else None
    names = []
    for _ in range(n):
        note = MonthlyNoteFactory(posting=_posting(tree, receiving_unit=host))
        names.append(note.posting.cadre.name)
    # The daily sweep: last month's notes these postings owe (shown as 未填报
    # unless the factory's month is last month) are stored as obligations.
    catch_up()
    return names


def add_reminders(tree, user, n):
    return [
        ReminderFactory(recipient=user, posting=_posting(tree)).message
        for _ in range(n)
    ]


def add_home_rows(tree, user, n):
    add_reminders(tree, user, n)
    return []  # the dashboard shows counts and the latest eight reminders


def add_units(tree, user, n):
    names = []
    for _ in range(n):
        unit = UnitFactory(parent=tree.county_a)
        CadreFactory(unit=unit)
        PostingFactory(receiving_unit=unit)
        names.append(unit.name)
    return names


_batch_numbers = itertools.count(1)


def add_batches(tree, user, n):
    """Batches with a nomination and a posting each, so the counts have rows."""
    names = []
    for _ in range(n):
        batch = Batch.objects.create(
            name=f"测试批次{next(_batch_numbers)}",
            year=2026,
            unit=tree.county_a,
            kinds=["downward"],
            created_by=user,
        )
        posting = _posting(tree)
        Posting.objects.filter(pk=posting.pk).update(batch=batch)
        Nomination.objects.create(
            batch=batch, cadre=posting.cadre, source=Nomination.Source.SELF
        )
        names.append(batch.name)
    return names


PAGES = [
    ("cadres:list", "org_city", add_cadres),
    ("postings:list", "org_city", add_postings),
    ("cadres:note_list", "org_city", add_notes),
    ("cadres:note_list", "host_a", add_notes),
    ("postings:notifications", "org_city", add_reminders),
    ("home", "org_city", add_home_rows),
    ("cadres:unit_tree", "org_city", add_units),
    ("postings:batch_list", "org_city", add_batches),
]


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def _cold_and_warm(client, url):
    """Queries with the cache empty, then filled: a page that caches something
    must hold the same count either way (the list pages cache nothing)."""
    cache.clear()
    cold, response = _count(client, url)
    warm, _ = _count(client, url)
    return (cold, warm), response


@pytest.mark.parametrize(
    ("page", "persona", "add_rows"),
    PAGES,
    ids=[f"{page}-{persona}" for page, persona, _ in PAGES],
)
def test_list_page_runs_the_same_queries_for_5_and_50_rows(
    login, tree, org_city, host_a, page, persona, add_rows
):
    user = {"org_city": org_city, "host_a": host_a}[persona]
    client = login(user)
    url = reverse(page)
    shown = add_rows(tree, user, 5)
    client.get(url)  # warm up the session
    five, response = _cold_and_warm(client, url)
    for text in shown:
        assert text in response.content.decode()
    shown += add_rows(tree, user, 45)
    fifty, response = _cold_and_warm(client, url)
    body = response.content.decode()
    for text in shown:
        assert text in body  # all fifty rows rendered
    assert fifty == five, f"{page}: {five} queries for 5 rows, {fifty} for 50"
    # Issue 12: at most 12 queries on a list page, counts included (session,
    # user, the navbar's unread badge, the counts, the rows, the form's choices).
    assert max(five) <= 12, f"{page}: {five} queries"


def test_export_runs_the_same_queries_for_5_and_50_rows(login, tree, org_city):
    client = login(org_city)
    url = reverse("postings:export")
    add_postings(tree, org_city, 5)
    client.get(url)
    five, response = _count(client, url)
    sheet = openpyxl.load_workbook(BytesIO(response.content)).active
    assert sheet.max_row == 1 + 5
    add_postings(tree, org_city, 45)
    fifty, response = _count(client, url)
    sheet = openpyxl.load_workbook(BytesIO(response.content)).active
    assert sheet.max_row == 1 + 50
    assert fifty == five


def test_note_list_for_a_host_leader_holds_only_their_units_notes(login, tree, host_a):
    """The host-leader row of the query-count table measures a scoped list."""
    mine = add_notes(tree, host_a, 3)
    other = add_notes(tree, UserFactory(role=Role.ORG_STAFF, unit=tree.city), 3)
    body = login(host_a).get(reverse("cadres:note_list")).content.decode()
    assert all(name in body for name in mine)
    assert not any(name in body for name in other)


# --- Object pages: the same count for 5 and 50 child rows ---------------------


def _same_for_5_and_50(client, url, add_rows):
    shown = add_rows(5)
    client.get(url)  # warm up the session
    five, response = _count(client, url)
    body = response.content.decode()
    assert all(text in body for text in shown)
    shown += add_rows(45)
    fifty, response = _count(client, url)
    body = response.content.decode()
    missing = [text for text in shown if text not in body]
    assert missing == []  # all fifty rows rendered
    assert fifty == five, f"{url}: {five} queries for 5 rows, {fifty} for 50"


@pytest.fixture
def batch(tree, org_city):
    return Batch.objects.create(
        name="计数批次",
        year=2026,
        unit=tree.county_a,
        kinds=["downward"],
        created_by=org_city,
    )


def _candidate(tree, batch, **fields):
    """A cadre of a fresh county-A organ, nominated to the batch."""
    cadre = CadreFactory(unit=UnitFactory(parent=tree.county_a))
    Nomination.objects.create(
        batch=batch, cadre=cadre, source=Nomination.Source.SELF, **fields
    )
    return cadre


def _open_post(tree, batch):
    return OpenPost.objects.create(
        batch=batch,
        receiving_unit=UnitFactory(parent=tree.county_a, kind=Unit.Kind.TOWNSHIP),
        title="乡镇长助理",
        kind="downward",
        category="township_leader",
        rank=3,
    )


def test_batch_page_runs_the_same_queries_for_5_and_50_rows(
    login, tree, org_city, batch
):
    def add_rows(n):
        shown = []
        for i in range(n):
            decider = UserFactory(role=Role.ORG_STAFF, unit=tree.county_a)
            cadre = _candidate(
                tree,
                batch,
                exam_score=60 + i % 40,
                interview_score=70,
                decision=Nomination.Decision.SELECTED,
                decision_reason="择优",
                decided_by=decider,
            )
            post = _open_post(tree, batch)
            posting = _posting(tree, receiving_unit=post.receiving_unit)
            Posting.objects.filter(pk=posting.pk).update(batch=batch, open_post=post)
            shown += [cadre.name, post.receiving_unit.name, posting.cadre.name]
        return shown

    def rows(body, table_id):
        table = body.split(f'id="{table_id}"')[1].split("</table>")[0]
        return table.split("<tbody>")[1].count("<tr")

    # Cold (right after a write) and warm: the same count.
    client, url = login(org_city), batch.get_absolute_url()
    shown = add_rows(5)
    client.get(url)  # warm up the session
    five, response = _cold_and_warm(client, url)
    assert all(text in response.content.decode() for text in shown)
    shown += add_rows(45)
    fifty, response = _cold_and_warm(client, url)
    body = response.content.decode()
    # The ranking shows its 50 rows; the posts and the postings, secondary on
    # this page, 20 each (the rest on their next pages).
    assert [name for name in shown[::3] if name not in body] == []
    assert [rows(body, t) for t in ("nomination-table", "post-table")] == [50, 20]
    assert rows(body, "batch-postings") == 20
    assert fifty == five, f"{url}: {five} queries for 5 rows, {fifty} for 50"


def test_placement_runs_the_same_queries_for_5_and_50_candidates(
    login, tree, org_city, batch
):
    def add_rows(n):
        shown = []
        for _ in range(n):
            cadre = _candidate(tree, batch, decision=Nomination.Decision.SELECTED)
            post = _open_post(tree, batch)
            shown += [f'data-cadre="{cadre.name}"', post.receiving_unit.name]
        return shown

    url = reverse("postings:placement", args=[batch.pk])
    _same_for_5_and_50(login(org_city), url, add_rows)


def test_posting_page_runs_the_same_queries_for_5_and_50_records(login, tree, org_city):
    posting = _posting(tree)
    rows = itertools.count(1)

    def add_rows(n):
        shown = []
        for _ in range(n):
            i = next(rows)
            by = UserFactory(role=Role.ORG_STAFF, unit=tree.county_a)
            end = posting.planned_end_date
            Extension.objects.create(
                posting=posting,
                old_end_date=end,
                new_end_date=end + dt.timedelta(days=30),
                reason=f"延期理由{i}号",
                approver="县委组织部",
                by=by,
            )
            posting.planned_end_date = end + dt.timedelta(days=30)
            posting.save(update_fields=["planned_end_date"])
            Assignment.objects.create(
                posting=posting,
                kind=Assignment.Kind.CONCURRENT,
                unit=UnitFactory(parent=tree.county_b),
                title=f"兼任职务{i}号",
                start_date=posting.start_date,
                by=by,
            )
            StatusChange.objects.create(
                posting=posting,
                from_status="proposed",
                to_status="active",
                on=posting.start_date,
                reason=f"变更原因{i}号",
                by=by,
            )
            RuleOverride.objects.create(
                posting=posting,
                rule=RuleOverride.Rule.TEAM_LIMIT,
                detail="同期已有2名",
                reason=f"例外理由{i}号",
                by=by,
            )
            shown += [f"{label}{i}号" for label in ("延期理由", "兼任职务")]
            shown += [f"{label}{i}号" for label in ("变更原因", "例外理由")]
            shown.append(by.last_name)
        return shown

    _same_for_5_and_50(login(org_city), posting.get_absolute_url(), add_rows)


# --- The dossier: one query per record kind, however many records -------------


def add_dossier_records(posting, n: int, first: int = 0) -> None:
    """n records spread over every kind, on distinct days from the `first`th."""
    host = leader_of(posting)
    cadre = account_for(posting.cadre)
    start = posting.start_date
    makers = [
        lambda i, day: WorkLogFactory.build(posting=posting, author=cadre, date=day),
        lambda i, day: TalkFactory.build(posting=posting, author=host, talked_on=day),
        lambda i, day: TrainingFactory.build(
            posting=posting, author=host, start_date=day, end_date=day
        ),
        lambda i, day: CommendationFactory.build(
            posting=posting, author=host, awarded_on=day
        ),
        lambda i, day: SupportNeedFactory.build(
            posting=posting, author=cadre, raised_on=day
        ),
        lambda i, day: WarningFactory.build(
            posting=posting, author=host, occurred_on=day
        ),
        lambda i, day: ReportFactory.build(posting=posting, author=cadre, due_date=day),
        lambda i, day: FollowUpVisitFactory.build(
            posting=posting, author=host, visited_on=day
        ),
    ]
    rows: dict[type, list] = {}
    for i in range(first, first + n):
        day = start + dt.timedelta(days=i)
        row = makers[i % len(makers)](i, day)
        rows.setdefault(type(row), []).append(row)
    for model, objs in rows.items():
        model.objects.bulk_create(objs)
    for report in Report.objects.filter(posting=posting)[:3]:
        Attachment.objects.create(
            report=report,
            original_name="附件.pdf",
            stored_name=uuid.uuid4().hex,
            content_type="application/pdf",
            size=10,
            uploaded_by=cadre,
        )
    SymposiumFactory(attendees=[posting, _posting_with(posting.receiving_unit)])


def _posting_with(receiving_unit):
    return PostingFactory(receiving_unit=receiving_unit)


@pytest.fixture
def dossier_posting(tree):
    """A long active posting of county A, so that 500 days fit into its term."""
    home = UnitFactory(parent=tree.county_a)
    posting = PostingFactory(
        cadre=CadreFactory(unit=home),
        sending_unit=home,
        receiving_unit=UnitFactory(parent=tree.county_a, kind=Unit.Kind.TOWNSHIP),
        start_date=dt.date(2024, 1, 1),
        planned_end_date=dt.date(2027, 12, 31),
    )
    for month in (dt.date(2024, 1, 1), dt.date(2024, 2, 1)):
        MonthlyNoteFactory(posting=posting, month=month, author=leader_of(posting))
    return posting


DOSSIER_PAGES = ["cadres:detail", "cadres:dossier_print", "cadres:dossier_export"]


@pytest.mark.parametrize("page", DOSSIER_PAGES)
def test_the_dossier_runs_the_same_queries_for_5_and_500_records(
    login, org_city, dossier_posting, page
):
    client = login(org_city)
    url = reverse(page, args=[dossier_posting.cadre_id])
    add_dossier_records(dossier_posting, 5)
    client.get(url)  # warm up the session
    five, response = _count(client, url)
    add_dossier_records(dossier_posting, 495, first=5)
    five_hundred, response = _count(client, url)
    if page == "cadres:dossier_export":
        book = openpyxl.load_workbook(BytesIO(response.content))
        assert book["日记录"].max_row - 1 == 63  # 5 + 495 over eight kinds
        assert book["座谈会"].max_row - 1 == 2
    elif page == "cadres:dossier_print":
        assert len(response.context["entries"]) == 500 + 2 + 2  # + notes, symposia
    else:
        assert response.context["page_obj"].paginator.count == 504
        # bench/pages.py's budget: session, user, the navbar's badge, the
        # cadre, then the postings, a query per record kind (the symposia with
        # their other attendees), the report files and the month locks.
        assert five <= 20, f"{page}: {five} queries"
    assert five_hundred == five, f"{page}: {five} queries for 5, {five_hundred} for 500"


# --- Obligations (issue 17): each role's home page and the obligations pages --


def _obligation_rows(tree, user, n: int) -> list[str]:
    """n postings in `user`'s sight (for a cadre, their own posting n times),
    each with its own cadre and units and three obligations: one `user` owes overdue, one due soon and one done; for
    org staff also an active posting ending soon, a new warning and a round
    ready to close. Returns the cadres' names."""
    from obligations.models import Obligation
    from tests.assessment.factories import make_round
    from tests.portal.helpers import obligation

    today = dt.date.today()
    names = []
    for _ in range(n):
        if user.role == Role.HOST_LEADER:
            posting = _posting(tree, receiving_unit=user.unit)
        elif user.role == Role.HOME_CONTACT:
            posting = PostingFactory(
                cadre=CadreFactory(unit=user.unit),
                sending_unit=user.unit,
                receiving_unit=UnitFactory(parent=tree.county_b),
            )
        elif user.role == Role.CADRE:  # one active posting per cadre: theirs
            posting = Posting.objects.get(cadre=user.cadre)
        else:  # org staff of county A: a county A posting ending soon
            home = UnitFactory(parent=tree.county_a)
            posting = PostingFactory(
                cadre=CadreFactory(unit=home),
                sending_unit=home,
                receiving_unit=UnitFactory(parent=tree.county_a),
                planned_end_date=today + dt.timedelta(days=10),
            )
            WarningFactory(posting=posting)
            make_round(user, [posting], name=f"计数轮次{uuid.uuid4().hex[:6]}")
        owed = {"owed_by": user.role}
        if user.role == Role.ORG_STAFF:
            # A review: its form is the round that holds the posting (a query
            # made once per page, not per row).
            owed.update(unit=user.unit, kind="midterm_assessment")
        obligation(posting, due_on=today - dt.timedelta(days=3), **owed)
        obligation(posting, due_on=today + dt.timedelta(days=3), **owed)
        obligation(
            posting,
            kind="follow_up_visit",
            owed_by=Role.HOME_CONTACT,
            due_on=today - dt.timedelta(days=20),
            status=Obligation.Status.DONE,
            done_on=today - dt.timedelta(days=21),
        )
        names.append(posting.cadre.name)
    return names


@pytest.mark.parametrize("persona", ["host_a", "home_a", "cadre_user", "org_a"])
def test_each_roles_home_runs_the_same_queries_for_5_and_50_obligations(
    login, tree, personas, persona
):
    user = personas[persona]
    client = login(user)
    url = reverse("home")
    _obligation_rows(tree, user, 5)
    client.get(url)  # warm up the session
    five, response = _count(client, url)
    assert len(response.context["owed"]) == 10
    _obligation_rows(tree, user, 45)
    fifty, response = _count(client, url)
    assert response.context["owed_total"] == 100
    assert response.context["owed_overdue"] == 50
    if persona == "org_a":
        assert response.context["overdue_total"] == 50
        assert response.context["ending_count"] == 50
        assert response.context["new_warnings_count"] == 50
        assert response.context["rounds_ready_count"] == 50
    assert fifty == five, f"home ({persona}): {five} queries for 5, {fifty} for 50"


OBLIGATION_PAGES = [
    "obligations:list",
    "obligations:note_compliance",
    "obligations:note_compliance_export",
    "obligations:compliance",
]


@pytest.mark.parametrize("page", OBLIGATION_PAGES)
def test_the_obligations_pages_run_the_same_queries_for_5_and_50_postings(
    login, tree, org_a, page
):
    client = login(org_a)
    url = reverse(page)
    shown = _obligation_rows(tree, org_a, 5)
    client.get(url)  # warm up the session
    five, response = _count(client, url)
    shown += _obligation_rows(tree, org_a, 45)
    fifty, response = _count(client, url)
    if page == "obligations:note_compliance_export":
        sheet = openpyxl.load_workbook(BytesIO(response.content)).worksheets[0]
        assert sheet.max_row == 1 + 50
    elif page != "obligations:compliance":
        body = response.content.decode()
        assert [name for name in shown if name not in body] == []
    assert fifty == five, f"{page}: {five} queries for 5, {fifty} for 50"
