"""Outside its scope an object does not exist: 404, never listed, counted,
searched or exported (DOMAIN.md, "Who uses it").

Every object URL of the project's own apps is tried by every role persona on an
object of the other county. A new object URL fails the matrix until it is
added to OUT_OF_SCOPE_KWARGS below.
"""

import re
from collections.abc import Callable
from io import BytesIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cadres.models import Role, User
from cadres.policy import role_may_use
from guazhi.dates import add_months
from obligations.models import Obligation
from postings.models import Batch, Nomination, Posting
from records.services import attachment_add
from tests.cadres.files import PNG_BYTES
from tests.conftest import CADRE_A_NAME, CADRE_B_NAME, Side, all_urls
from tests.factories import (
    CommendationFactory,
    FollowUpVisitFactory,
    PostingFactory,
    ReportFactory,
    SupportNeedFactory,
    TalkFactory,
    TrainingFactory,
    WarningFactory,
    WorkLogFactory,
    account_for,
)

# view name -> the URL kwargs of that view's object on one side of the world.
OUT_OF_SCOPE_KWARGS: dict[str, Callable[[Side], dict]] = {
    "cadres:detail": lambda side: {"pk": side.cadre.pk},
    "cadres:edit": lambda side: {"pk": side.cadre.pk},
    "cadres:note_create": lambda side: {"posting_pk": side.posting.pk},
    "cadres:note_edit": lambda side: {"pk": side.note.pk},
    "postings:detail": lambda side: {"pk": side.posting.pk},
    "postings:edit": lambda side: {"pk": side.posting.pk},
    "postings:notification_read": lambda side: {"pk": side.reminder.pk},
    # the lifecycle of a posting, batches and selection
    "postings:transition": lambda side: {"pk": side.posting.pk, "action": "activate"},
    "postings:extend": lambda side: {"pk": side.posting.pk},
    "postings:assignment_add": lambda side: {"pk": side.posting.pk},
    "postings:batch_detail": lambda side: {"pk": _batch_of(side).pk},
    "postings:batch_edit": lambda side: {"pk": _batch_of(side).pk},
    "postings:nomination_add": lambda side: {"pk": _batch_of(side).pk},
    "postings:open_post_add": lambda side: {"pk": _batch_of(side).pk},
    "postings:placement": lambda side: {"pk": _batch_of(side).pk},
    "postings:nomination_score": lambda side: {"pk": _nomination_of(side).pk},
    "postings:nomination_decide": lambda side: {"pk": _nomination_of(side).pk},
    # the dossier (一人一档)
    "cadres:dossier_print": lambda side: {"pk": side.cadre.pk},
    "cadres:dossier_export": lambda side: {"pk": side.cadre.pk},
    "cadres:history": lambda side: {"kind": "note", "pk": side.note.pk},
    "cadres:worklog_create": lambda side: {"posting_pk": side.posting.pk},
    "cadres:worklog_edit": lambda side: {"pk": _record(side, "worklog").pk},
    "cadres:report_create": lambda side: {"posting_pk": side.posting.pk},
    "cadres:report_edit": lambda side: {"pk": _record(side, "report").pk},
    "cadres:attachment": lambda side: {"pk": _record(side, "attachment").pk},
    "cadres:talk_create": lambda side: {"posting_pk": side.posting.pk},
    "cadres:talk_edit": lambda side: {"pk": _record(side, "talk").pk},
    "cadres:training_create": lambda side: {"posting_pk": side.posting.pk},
    "cadres:training_edit": lambda side: {"pk": _record(side, "training").pk},
    "cadres:commendation_create": lambda side: {"posting_pk": side.posting.pk},
    "cadres:commendation_edit": lambda side: {"pk": _record(side, "commendation").pk},
    "cadres:visit_create": lambda side: {"posting_pk": side.posting.pk},
    "cadres:visit_edit": lambda side: {"pk": _record(side, "visit").pk},
    "cadres:support_create": lambda side: {"posting_pk": side.posting.pk},
    "cadres:support_resolve": lambda side: {"pk": _record(side, "support").pk},
    "cadres:warning_create": lambda side: {"posting_pk": side.posting.pk},
    "cadres:warning_revoke": lambda side: {"pk": _record(side, "warning").pk},
    "cadres:appraisal_edit": lambda side: {"posting_pk": side.posting.pk},
    # assessment (考核): each helper's section
    # 考核方案 and 考核轮次: the side's county round and its template
    "assessment:template_detail": lambda side: {"pk": _template_of(side).pk},
    "assessment:template_revise": lambda side: {"pk": _template_of(side).pk},
    "assessment:round_detail": lambda side: {"pk": _round_of(side).pk},
    "assessment:round_edit": lambda side: {"pk": _round_of(side).pk},
    "assessment:round_transition": lambda side: {
        "pk": _round_of(side).pk,
        "action": "start",
    },
    # results: the side's round and its assessment
    "assessment:round_results": lambda side: {"pk": _round_of(side).pk},
    "assessment:round_export": lambda side: {"pk": _round_of(side).pk},
    "assessment:assessment_detail": lambda side: {"pk": _assessment_of(side).pk},
    # 民主测评: the side's assessment, with its ballot session opened
    "assessment:ballot_session_open": lambda side: {"pk": _ballot_pk(side)},
    "assessment:ballot_session": lambda side: {"pk": _ballot_pk(side)},
    "assessment:ballot_session_close": lambda side: {"pk": _ballot_pk(side)},
    "assessment:ballot_slips": lambda side: {"pk": _ballot_pk(side)},
    "assessment:round_ballots_open": lambda side: {"pk": _round_of(side).pk},
    "assessment:round_ballot_slips": lambda side: {"pk": _round_of(side).pk},
    "assessment:evaluate": lambda side: {
        "pk": _assessment_of(side).pk,
        "source": "host",
    },
    # obligations (待办事项): an open one of the side's posting
    "obligations:waive": lambda side: {"pk": _record(side, "obligation").pk},
    # the notification centre: the side's host leader's reminder of its note
    "notifications:read": lambda side: {"pk": _record(side, "notification").pk},
    # Excel import: an upload is its uploader's alone (the side's org staff)
    "imports:preview": lambda side: {"pk": _import_job_of(side).pk},
    "imports:commit": lambda side: {"pk": _import_job_of(side).pk},
    "imports:status": lambda side: {"pk": _import_job_of(side).pk},
    "imports:errors": lambda side: {"pk": _import_job_of(side).pk},
    # exports: a batch's summary; a background export is its requester's alone
    "postings:batch_export": lambda side: {"pk": _batch_of(side).pk},
    "exports:status": lambda side: {"pk": _export_job_of(side).pk},
    "exports:download": lambda side: {"pk": _export_job_of(side).pk},
    # statistics: a cadre's exchange records (干部交流)
    "analytics:exchange_history": lambda side: {"pk": side.cadre.pk},
}


def _export_job_of(side: Side):
    """A finished background export of the side's org staff, file and all."""
    from django.core.files.base import ContentFile

    from exports.models import ExportJob
    from exports.services import scope_of

    made = side.__dict__.setdefault("export_jobs", {})
    if "job" not in made:
        user = _org_staff_of(side)
        job = ExportJob(
            user=user,
            kind="roster",
            status="done",
            filename="挂职名册.xlsx",
            scope=scope_of(user),  # written under the requester's scope now
        )
        job.file.save("scope.xlsx", ContentFile(b"PK"), save=False)
        job.save()
        made["job"] = job
    return made["job"]


def _import_job_of(side: Side):
    """An upload by the side's org staff: the cadre template, no rows."""
    from imports.models import ImportJob
    from imports.workbooks import template

    made = side.__dict__.setdefault("import_jobs", {})
    if "job" not in made:
        made["job"] = ImportJob.objects.create(
            user=_org_staff_of(side),
            kind="cadres",
            filename="干部.xlsx",
            data=template("cadres"),
        )
    return made["job"]


def _org_staff_of(side: Side):
    """The county's org staff persona (org_a / org_b): the sending organ's parent."""
    return User.objects.get(
        role=Role.ORG_STAFF, unit=side.posting.sending_unit.parent_id
    )


# Dossier records of one side, each authored by a persona whose scope holds
# it, so that the insiders below can open even the authors-only pages.
RECORD_MAKERS: dict[str, Callable[[Side], object]] = {
    "worklog": lambda side: WorkLogFactory(posting=side.posting),
    "report": lambda side: ReportFactory(posting=side.posting),
    "attachment": lambda side: attachment_add(
        report=_record(side, "report"),
        upload=SimpleUploadedFile("汇报.png", PNG_BYTES),
        by=account_for(side.cadre),
    ),
    "talk": lambda side: TalkFactory(posting=side.posting, author=side.note.author),
    "training": lambda side: TrainingFactory(
        posting=side.posting, author=side.note.author
    ),
    "commendation": lambda side: CommendationFactory(
        posting=side.posting, author=side.note.author
    ),
    "visit": lambda side: FollowUpVisitFactory(
        posting=side.posting, author=_org_staff_of(side)
    ),
    "support": lambda side: SupportNeedFactory(posting=side.posting),
    "warning": lambda side: WarningFactory(posting=side.posting),
    "obligation": lambda side: _open_obligation(side.posting),
    "notification": lambda side: _notification_of(side),
}


def _notification_of(side: Side):
    """The side's host leader reminded of the side's open obligation."""
    from notifications.models import Notification

    obligation = _record(side, "obligation")
    return Notification.objects.create(
        obligation=obligation,
        step="after3",
        audience="owner",
        step_on=obligation.due_on,
        recipient=side.note.author,
        channel="app",
        status="sent",
        sent_at=obligation.created_at,
    )


def _open_obligation(posting) -> Obligation:
    """An open, overdue obligation of `posting`: its first month's note."""
    month = posting.start_date.replace(day=1)
    return Obligation.objects.create(
        kind="monthly_note",
        posting=posting,
        period=month,
        owed_by=Role.HOST_LEADER,
        unit=posting.receiving_unit,
        due_on=add_months(month, 1).replace(day=10),
    )


def _record(side: Side, key: str):
    """The side's record of this kind, made on first use (the world has none)."""
    made = side.__dict__.setdefault("dossier_records", {})
    if key not in made:
        made[key] = RECORD_MAKERS[key](side)
    return made[key]


def _batch_of(side: Side) -> Batch:
    """The side's county batch, made on first use: org staff of the other
    county, and every other role, must not reach it."""
    made = side.__dict__.setdefault("batch_records", {})
    if "batch" not in made:
        county = side.posting.sending_unit.parent
        made["batch"] = Batch.objects.create(
            name=f"{county.name}2026年第一批",
            year=2026,
            unit=county,
            kinds=["downward"],
            created_by=side.posting.created_by,
        )
    return made["batch"]


def _nomination_of(side: Side) -> Nomination:
    """The side's cadre as a candidate in the side's batch, made on first use."""
    made = side.__dict__.setdefault("batch_records", {})
    if "nomination" not in made:
        made["nomination"] = Nomination.objects.create(
            batch=_batch_of(side), cadre=side.cadre, source=Nomination.Source.SELF
        )
    return made["nomination"]


def _round_of(side: Side):
    """The side's county assessment round (collecting), holding the side's
    posting, made on first use; its assessment is `_assessment_of(side)`."""
    from tests.assessment.factories import make_round

    made = side.__dict__.setdefault("assessment_records", {})
    if "round" not in made:
        made["round"] = make_round(_org_staff_of(side), [side.posting])
    return made["round"]


def _template_of(side: Side):
    return _round_of(side).template_version.template


def _assessment_of(side: Side):
    """The side's assessment: the one in its round, unless a scenario set it."""
    made = side.__dict__.setdefault("assessment_records", {})
    if "assessment" not in made:
        made["assessment"] = _round_of(side).assessments.get()
    return made["assessment"]


def _ballot_pk(side: Side) -> int:
    """The pk of the side's assessment, its ballot session opened on first use."""
    from assessment.ballots import default_groups, session_open

    made = side.__dict__.setdefault("assessment_records", {})
    if "ballot_session" not in made:
        assessment = _assessment_of(side)
        made["ballot_session"] = session_open(
            assessment=assessment,
            groups=default_groups(assessment),
            min_turnout_pct=60,
            by=_org_staff_of(side),
        )
    return made["ballot_session"].assessment_id


# persona -> the side of the world that lies outside their scope.
OUTSIDER_OF = {
    "org_a": "b",
    "host_a": "b",
    "home_a": "b",
    "cadre_user": "b",
    "host_b": "a",
    "org_b": "a",
}

LIST_PAGES = [
    "home",
    "cadres:list",
    "postings:list",
    "cadres:note_list",
    "postings:notifications",
    "obligations:list",
    "obligations:note_compliance",
    "obligations:compliance",
    "notifications:centre",
]


def project_object_urls():
    return [u for u in all_urls() if u.kwargs and u.namespace != "admin"]


def test_every_object_url_has_an_out_of_scope_builder():
    names = {u.name for u in project_object_urls()}
    missing = sorted(names - set(OUT_OF_SCOPE_KWARGS))
    assert missing == [], f"add these views to OUT_OF_SCOPE_KWARGS: {missing}"
    stale = sorted(set(OUT_OF_SCOPE_KWARGS) - names)
    assert stale == [], f"OUT_OF_SCOPE_KWARGS names views that are gone: {stale}"


def test_no_persona_reaches_an_object_outside_its_scope(login, personas, world, capsys):
    urls = project_object_urls()
    missing = [u.name for u in urls if u.name not in OUT_OF_SCOPE_KWARGS]
    assert missing == [], f"object URLs without an out-of-scope builder: {missing}"
    leaks = []
    tried = 0
    for persona, side_name in OUTSIDER_OF.items():
        client = login(personas[persona])
        side = getattr(world, side_name)
        for info in urls:
            kwargs = OUT_OF_SCOPE_KWARGS[info.name](side)
            url = reverse(info.name, kwargs=kwargs)
            nowhere = reverse(info.name, kwargs=dict.fromkeys(kwargs, 987654321))
            for method in ("GET", "POST"):
                response = client.generic(method, url)
                tried += 1
                status = response.status_code
                # A POST-only view answers GET with 405 before it looks anything
                # up: the same answer as for an id that does not exist.
                refused_method = (
                    status == 405 and client.generic(method, nowhere).status_code == 405
                )
                if status != 404 and not refused_method:
                    leaks.append((persona, method, info.name, status))
                elif side.cadre.name.encode() in response.content:
                    leaks.append((persona, method, info.name, "name in body"))
    assert leaks == []
    assert tried == len(OUTSIDER_OF) * len(urls) * 2
    # Nothing was changed through the refused POSTs either.
    for side in (world.a, world.b):
        side.reminder.refresh_from_db()
        assert side.reminder.read_at is None
    with capsys.disabled():
        print(f"\n{tried} requests tried, 0 leaks")


def test_every_object_url_answers_for_someone_in_scope(login, personas, world, cadre_b):
    """The builders point at real objects: a user whose scope holds side B
    reaches each one (so the 404s above are the scope's doing)."""
    insiders = [personas["admin"], personas["org_b"], personas["host_b"], cadre_b]
    unreached = []
    for info in project_object_urls():
        url = reverse(info.name, kwargs=OUT_OF_SCOPE_KWARGS[info.name](world.b))
        statuses = {
            login(user).generic(method, url).status_code
            for user in insiders
            if role_may_use(user.role, info.name)
            for method in ("GET", "POST")
        }
        if not statuses & {200, 302}:
            unreached.append((info.name, statuses))
    assert unreached == []


def _pages_for(user) -> list[str]:
    return [name for name in LIST_PAGES if role_may_use(user.role, name)]


@pytest.mark.parametrize("persona", sorted(OUTSIDER_OF))
def test_list_pages_never_show_an_out_of_scope_cadre(login, personas, world, persona):
    user = personas[persona]
    client = login(user)
    outsider = getattr(world, OUTSIDER_OF[persona]).cadre
    insider = getattr(world, "a" if OUTSIDER_OF[persona] == "b" else "b").cadre
    for side in (world.a, world.b):  # the obligations pages have rows to show
        _record(side, "obligation")
    pages = _pages_for(user)
    assert "postings:list" in pages
    for name in pages:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert outsider.name not in response.content.decode(), name
    # The pages do list things: the persona's own side shows up.
    postings_page = client.get(reverse("postings:list")).content.decode()
    assert insider.name in postings_page
    obligations_page = client.get(reverse("obligations:list")).content.decode()
    assert insider.name in obligations_page


@pytest.mark.parametrize("persona", sorted(OUTSIDER_OF))
def test_search_never_finds_an_out_of_scope_cadre(login, personas, world, persona):
    user = personas[persona]
    client = login(user)
    outsider = getattr(world, OUTSIDER_OF[persona]).cadre
    queries = [outsider.name, outsider.name[:2], outsider.id_number]
    for name in _pages_for(user):
        for q in queries:
            response = client.get(reverse(name), {"q": q})
            assert response.status_code == 200
            # The search box and the sort, page and export links ("?q=...")
            # echo the query; nothing else may hold it.
            body = re.sub(
                r'value="[^"]*"|href="[^"]*[?;&]q=[^"]*"', "", response.content.decode()
            )
            assert outsider.name not in body, (name, q)
            assert outsider.id_number not in body, (name, q)
    # The same search does find a cadre in scope.
    insider = getattr(world, "a" if OUTSIDER_OF[persona] == "b" else "b").cadre
    found = client.get(reverse("postings:list"), {"q": insider.name[:2]})
    assert f">{insider.name}</a>" in found.content.decode()


def _dashboard_counts(html: str) -> dict[str, int]:
    return {
        status: int(n) for status, n in re.findall(r'data-status="(\w+)">(\d+)<', html)
    }


@pytest.mark.parametrize("persona", sorted(OUTSIDER_OF) + ["org_city", "admin"])
def test_dashboard_counts_only_what_the_persona_sees(login, personas, world, persona):
    # More postings on both sides, in several states.
    for side, extra in ((world.a, 2), (world.b, 3)):
        for status in [Posting.Status.PROPOSED] * extra + [Posting.Status.COMPLETED]:
            PostingFactory(
                sending_unit=side.posting.sending_unit,
                receiving_unit=side.posting.receiving_unit,
                status=status,
            )
    user = personas[persona]
    html = login(user).get(reverse("home")).content.decode()
    counts = _dashboard_counts(html)
    visible = Posting.objects.visible_to(user)
    assert counts == {
        status: visible.filter(status=status).count()
        for status in Posting.Status.values
    }
    if persona in OUTSIDER_OF:
        assert sum(counts.values()) < Posting.objects.count()
    # The posting list's own counts agree.
    listing = login(user).get(reverse("postings:list")).content.decode()
    assert f"合计 {visible.count()}" in listing


def _export_names(response) -> list[str]:
    sheet = openpyxl.load_workbook(BytesIO(response.content)).active
    return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_export_holds_only_postings_in_scope(login, org_a, world):
    client = login(org_a)
    names = _export_names(client.get(reverse("postings:export")))
    assert CADRE_A_NAME in names
    assert CADRE_B_NAME not in names
    searched = _export_names(
        client.get(reverse("postings:export"), {"q": CADRE_B_NAME})
    )
    assert searched == []


def test_home_contact_cannot_export(login, home_a, world):
    assert login(home_a).get(reverse("postings:export")).status_code == 403
