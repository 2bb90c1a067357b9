"""Every export of the project, for the tests that read them all back: the URL
of each in county A's world, and what each must hold."""

import datetime as dt
from dataclasses import dataclass
from io import BytesIO

import openpyxl
from django.urls import reverse

from cadres.models import Role
from guazhi.dates import add_months
from obligations.models import Obligation
from postings.models import Batch, Nomination, Posting
from tests.factories import TalkFactory

# Cadre A's name in these tests: a formula if a spreadsheet were to run it.
FORMULA_NAME = "=1+1"
# Text with control characters, stored without a form (an import, the shell).
DIRTY_TITLE = "乡镇\x01长\x1f助理"
CLEAN_TITLE = "乡镇长助理"


@dataclass(frozen=True)
class Export:
    name: str  # the URL name
    url: str
    names_cadres: bool  # holds cadre names (so cadre A's, and never B's)
    has_dates: bool  # holds at least one date cell

    @property
    def of_object(self) -> bool:
        """An export of one object (its URL names it), not of a list."""
        return any(part.isdigit() for part in self.url.split("/"))


def overdue_obligation(posting) -> Obligation:
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


def county_a_batch(world) -> Batch:
    """County A's batch: cadre A selected and posted, cadre B nominated too
    (out of org staff A's sight, so never counted for them)."""
    county = world.a.posting.sending_unit.parent
    batch = Batch.objects.create(
        name="甲县2026年第一批",
        year=2026,
        unit=county,
        kinds=["downward"],
        created_by=world.a.posting.created_by,
    )
    Nomination.objects.create(
        batch=batch,
        cadre=world.a.cadre,
        source=Nomination.Source.ORGANISATION,
        decision=Nomination.Decision.SELECTED,
    )
    Nomination.objects.create(
        batch=batch, cadre=world.b.cadre, source=Nomination.Source.SELF
    )
    Posting.objects.filter(pk=world.a.posting.pk).update(batch=batch)
    return batch


def dirty_world(world) -> None:
    """Cadre A named like a formula, A's posting titled with control
    characters, a talk with both; overdue obligations on both sides."""
    world.a.cadre.__class__.objects.filter(pk=world.a.cadre.pk).update(
        name=FORMULA_NAME
    )
    Posting.objects.filter(pk=world.a.posting.pk).update(title=DIRTY_TITLE)
    TalkFactory(posting=world.a.posting, content="+谈心\x01谈话")
    overdue_obligation(world.a.posting)
    overdue_obligation(world.b.posting)


def exports_of_county_a(world, *, batch, round_) -> list[Export]:
    """Every export org staff A may make, over county A's objects."""
    return [
        Export("postings:export", reverse("postings:export"), True, True),
        Export("cadres:export", reverse("cadres:export"), True, True),
        Export(
            "cadres:dossier_export",
            reverse("cadres:dossier_export", args=[world.a.cadre.pk]),
            True,
            True,
        ),
        Export(
            "postings:batch_export",
            reverse("postings:batch_export", args=[batch.pk]),
            False,
            False,
        ),
        Export(
            "obligations:overdue_export",
            reverse("obligations:overdue_export"),
            True,
            True,
        ),
        Export(
            "obligations:note_compliance_export",
            reverse("obligations:note_compliance_export"),
            True,
            False,
        ),
        Export(
            "assessment:round_export",
            reverse("assessment:round_export", args=[round_.pk]),
            True,
            False,
        ),
    ]


def start_job(client, url, capture, **query):
    """GET an export `url` that goes to the background (with
    django_capture_on_commit_callbacks as `capture`): the job it made, whose
    status page it redirects to."""
    from exports.models import ExportJob

    with capture(execute=True):
        response = client.get(url, query)
    assert response.status_code == 302, response
    job = ExportJob.objects.latest("pk")
    assert response["Location"] == reverse("exports:status", args=[job.pk])
    return job


def sheet_values(book) -> dict:
    """{sheet title: its rows of values}."""
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def download(client, job):
    """The workbook of a finished background job, as its requester gets it."""
    return workbook(client.get(reverse("exports:download", args=[job.pk])))


def workbook(response):
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    if response.streaming:  # a background export's file: read it once, keep it
        body = b"".join(response.streaming_content)
        response.streaming_content = [body]
    else:
        body = response.content
    return openpyxl.load_workbook(BytesIO(body))


def cells(book):
    return [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows(min_row=2)
        for cell in row
        if cell.value is not None
    ]


def check_house_rules(book) -> None:
    """The rules of guazhi.excel, on every sheet: Chinese headers, bold and
    frozen, an autofilter over them."""
    for sheet in book.worksheets:
        header = [c.value for c in sheet[1] if c.value is not None]
        assert header, sheet.title
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in header[:1])
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")
        assert sheet["A1"].font.b, sheet.title


def is_date(cell) -> bool:
    return cell.is_date and isinstance(cell.value, dt.datetime | dt.date)
