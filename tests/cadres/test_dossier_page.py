"""The dossier page (一人一档), its print view and its Excel export."""

import datetime as dt
import re
from io import BytesIO

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from portal import dossier
from postings.models import Posting
from records import rules
from records.models import Appraisal, NoteMonthLock, SupportNeed
from tests.conftest import CADRE_A_NAME, months_ago
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
    WarningFactory,
    WorkLogFactory,
)

TODAY = timezone.localdate


def _page(client, cadre, **params):
    return client.get(reverse("cadres:detail", args=[cadre.pk]), params)


def _titles(response) -> list[str]:
    return [e.title for e in response.context["entries"]]


@pytest.fixture
def records(world, host_a, org_a):
    """One record of each kind on cadre A's posting, on distinct days."""
    posting = world.a.posting
    day = posting.start_date
    d = dt.timedelta(days=1)
    return {
        "worklog": WorkLogFactory(posting=posting, date=day + 1 * d, content="日志甲"),
        "talk": TalkFactory(posting=posting, talked_on=day + 2 * d, content="谈话甲"),
        "training": TrainingFactory(
            posting=posting, start_date=day + 3 * d, end_date=day + 3 * d
        ),
        "commendation": CommendationFactory(posting=posting, awarded_on=day + 4 * d),
        "support": SupportNeedFactory(posting=posting, raised_on=day + 5 * d),
        "warning": WarningFactory(posting=posting, occurred_on=day + 6 * d),
        "report": ReportFactory(posting=posting),
        "symposium": SymposiumFactory(
            held_on=day + 7 * d, attendees=[posting], author=org_a
        ),
        "visit": FollowUpVisitFactory(posting=posting, visited_on=day + 8 * d),
        # Submitted: a draft is its author's alone (issue 14).
        "appraisal": AppraisalFactory(
            posting=posting,
            status=Appraisal.Status.SUBMITTED,
            submitted_at=timezone.now(),
        ),
        "assessment": _closed_assessment(posting, org_a),
    }


def _closed_assessment(posting, org_a):
    """An assessment of a closed round, its result stored (考核结果)."""
    from tests.assessment.factories import make_round

    round_ = make_round(org_a, [posting], status="closed")
    round_.assessments.update(
        score="88.50", raw_grade="competent", grade="competent", rank=1
    )
    return round_.assessments.get()


def test_every_kind_shows_in_one_timeline_newest_first(login, org_a, world, records):
    response = _page(login(org_a), world.a.cadre)
    entries = list(response.context["entries"])
    kinds = {e.kind.key for e in entries}
    assert kinds == {k.key for k in dossier.KINDS}  # note: world.a.note
    dates = [e.date for e in entries]
    assert dates == sorted(dates, reverse=True)
    body = response.content.decode()
    assert "日志甲" in body and "谈话甲" in body and "挂职干部座谈会" in body
    assert "88.50分" in body  # the assessment's score with its two places


def test_the_timeline_filters_by_kind_and_by_posting(
    login, org_a, world, records, tree
):
    client = login(org_a)
    talks = _page(client, world.a.cadre, kind="talk")
    assert [e.kind.key for e in talks.context["entries"]] == ["talk"]
    earlier = PostingFactory(
        cadre=world.a.cadre,
        sending_unit=tree.organ_a,
        receiving_unit=tree.village_a1,
        start_date=dt.date(2023, 1, 1),
        status=Posting.Status.COMPLETED,
    )
    TalkFactory(posting=earlier, content="早年的谈话")
    only_earlier = _page(client, world.a.cadre, posting=earlier.pk)
    assert [e.record.content for e in only_earlier.context["entries"]] == ["早年的谈话"]
    both = _page(client, world.a.cadre, kind="talk")
    assert len(both.context["entries"]) == 2
    # A posting the user may not filter by is ignored, not an error.
    assert _page(client, world.a.cadre, posting=world.b.posting.pk).status_code == 200


def test_the_timeline_is_paginated(login, org_a, world, settings):
    settings.DOSSIER_PAGE_SIZE = 5
    start = world.a.posting.start_date
    for i in range(12):
        WorkLogFactory(posting=world.a.posting, date=start + dt.timedelta(days=i))
    client = login(org_a)
    first = _page(client, world.a.cadre)
    assert len(first.context["entries"]) == 5
    assert first.context["page_obj"].paginator.count == 13  # 12 logs + world's note
    last = _page(client, world.a.cadre, page=3)
    assert len(last.context["entries"]) == 3


def test_the_summary_panel(login, org_a, world, host_a):
    posting = world.a.posting
    SupportNeedFactory(posting=posting)
    SupportNeedFactory(
        posting=posting,
        status=SupportNeed.Status.RESOLVED,
        resolution="已解决",
        resolved_by=host_a,
        resolved_at=timezone.now(),
    )
    WarningFactory(posting=posting, occurred_on=TODAY(), points=7, level="yellow")
    summary = _page(login(org_a), world.a.cadre).context["summary"]
    assert summary.current == posting
    assert summary.days_served == (TODAY() - posting.start_date).days + 1
    expected = rules.expected_note_months(posting, TODAY())
    assert summary.notes_expected == len(expected) > 1
    assert summary.notes_filed == 1  # world.a.note
    assert summary.warning_level == "yellow" and summary.warning_points == 7
    assert summary.open_needs == 1
    assert summary.grade is None
    # Reports: the world's posting began 300 days ago, so the first half-year
    # report is overdue; none is due within 30 days ahead of the last slot.
    overdue = [s.label for s in summary.reports_overdue]
    assert "半年书面汇报" in overdue


def test_the_summary_shows_no_grade_yet(login, org_a, world):
    body = _page(login(org_a), world.a.cadre).content.decode()
    grade = re.search(r'id="summary-grade">(.*?)<', body).group(1)
    assert grade == "暂无"


def test_completeness_lists_what_a_posting_lacks(login, org_a, world, tree):
    ended = PostingFactory(
        cadre=world.a.cadre,
        sending_unit=tree.organ_a,
        receiving_unit=tree.village_a1,
        start_date=dt.date(2024, 1, 1),
        planned_end_date=dt.date(2024, 4, 1),
        status=Posting.Status.COMPLETED,
    )
    for month in (dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)):
        MonthlyNoteFactory(posting=ended, month=month)
    AppraisalFactory(
        posting=ended, status=Appraisal.Status.SUBMITTED, submitted_at=timezone.now()
    )
    response = _page(login(org_a), world.a.cadre)
    check = next(c for c, _ in response.context["checks"] if c.posting == ended)
    # Notes for Jan-Apr 2024 (April: the month it ended), the reports falling due
    # (a research report, the final summary, two self-reviews), appraisal,
    # symposium and visit.
    assert check.missing == [
        "2024年04月月小结",
        "述职报告（2024-02-15）",
        "调研报告（2024-03-02）",
        "期满工作总结（2024-04-01）",
        "述职报告（2024-04-01）",
        "期满座谈会",
        "回访",
    ]
    assert check.expected == 4 + 4 + 3
    assert check.done == 4
    body = response.content.decode()
    assert "2024年04月月小结" in body


def test_a_cadre_reads_their_own_dossier_from_the_menu(
    login, cadre_user, world, records
):
    response = login(cadre_user).get(reverse("cadres:my_dossier"))
    assert response.status_code == 200
    assert response.context["cadre"] == world.a.cadre
    body = response.content.decode()
    assert "日志甲" in body and "谈话甲" in body
    # The cadre's ID number is masked for them, and there is no print/export.
    assert world.a.cadre.id_number not in body
    assert 'id="print-link"' not in body


def test_each_role_sees_only_its_own_edit_links(
    login, cadre_user, host_a, org_a, world, records
):
    def edit_links(user) -> set[str]:
        body = _page(login(user), world.a.cadre).content.decode()
        return set(re.findall(r'href="/cadres/(\w+)/\d+/edit/"', body))

    assert edit_links(cadre_user) == {"logs", "reports"}
    assert "talks" in edit_links(host_a)  # the talk factory's author
    assert "logs" not in edit_links(org_a)


def test_host_leader_sees_nothing_of_a_proposed_posting(login, host_a, tree):
    proposed = PostingFactory(
        receiving_unit=tree.township_a1, status=Posting.Status.PROPOSED
    )
    assert _page(login(host_a), proposed.cadre).status_code == 404


def test_history_pages_are_for_org_staff(login, org_a, host_a, cadre_user, world):
    note = world.a.note
    url = reverse("cadres:history", args=["note", note.pk])
    assert login(org_a).get(url).status_code == 200
    for user in (host_a, cadre_user):
        assert login(user).get(url).status_code == 404
    posting_history = login(org_a).get(
        reverse("cadres:history", args=["posting", world.a.posting.pk])
    )
    assert posting_history.status_code == 200
    assert (
        login(org_a).get(reverse("cadres:history", args=["talk", 1])).status_code == 404
    )


# --- Print and export --------------------------------------------------------------


def test_the_print_view_holds_the_whole_dossier_oldest_first(
    login, org_a, world, records, settings
):
    settings.DOSSIER_PAGE_SIZE = 2  # the print view is never paginated
    response = login(org_a).get(
        reverse("cadres:dossier_print", args=[world.a.cadre.pk])
    )
    assert response.status_code == 200
    body = response.content.decode()
    dates = [e.date for e in response.context["entries"]]
    assert dates == sorted(dates)
    assert len(dates) == len(dossier.KINDS)
    assert "css/print.css" in body
    # The running header carries the cadre's name, escaped for CSS.
    header = re.search(r"@top-left \{ content: (\"[^\"]*\"); \}", body).group(1)
    decoded = "".join(chr(int(h, 16)) for h in re.findall(r"\\([0-9a-f]+) ", header))
    assert decoded == f"一人一档 · {CADRE_A_NAME}"
    assert world.a.cadre.id_number in body  # org staff see the full number


def test_css_strings_cannot_break_out_of_the_style_block():
    from portal.views import css_string

    escaped = css_string('</style><script>"x"')
    assert "<" not in escaped and '"x' not in escaped
    assert escaped.startswith('"') and escaped.endswith('"')


@pytest.mark.parametrize("persona", ["host_a", "home_a", "cadre_user"])
def test_print_and_export_are_for_org_staff(login, personas, world, persona):
    client = login(personas[persona])
    for name in ("cadres:dossier_print", "cadres:dossier_export"):
        assert client.get(reverse(name, args=[world.a.cadre.pk])).status_code == 404


def test_the_export_has_a_summary_and_one_sheet_per_kind(login, org_a, world, records):
    response = login(org_a).get(
        reverse("cadres:dossier_export", args=[world.a.cadre.pk])
    )
    assert response.status_code == 200
    assert "attachment;" in response["Content-Disposition"]
    book = openpyxl.load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["概况", "挂职"] + [k.label for k in dossier.KINDS]
    summary = {
        row[0]: row[1] for row in book["概况"].iter_rows(min_row=2, values_only=True)
    }
    assert summary["姓名"] == CADRE_A_NAME
    assert summary["身份证号"] == world.a.cadre.id_number
    assert summary["最近考核等级"] == "称职"  # the records fixture's closed round
    logs = list(book["日记录"].iter_rows(values_only=True))
    assert logs[0][:3] == ("挂职", "日期", "工作内容")
    assert logs[1][2] == "日志甲"
    assert isinstance(logs[1][1], dt.datetime)  # a real date cell
    talks = list(book["谈心谈话"].iter_rows(min_row=2, values_only=True))
    assert [t[4] for t in talks] == ["谈话甲"]
    symposia = list(book["座谈会"].iter_rows(min_row=2, values_only=True))
    assert symposia[0][2] == "挂职干部座谈会" and CADRE_A_NAME in symposia[0][5]
    notes = list(book["月小结"].iter_rows(min_row=2, values_only=True))
    assert len(notes) == 1


def test_the_export_guards_against_formulas(login, org_a, world):
    WorkLogFactory(posting=world.a.posting, content='=HYPERLINK("http://x")')
    response = login(org_a).get(
        reverse("cadres:dossier_export", args=[world.a.cadre.pk])
    )
    sheet = openpyxl.load_workbook(BytesIO(response.content))["日记录"]
    cell = sheet.cell(row=2, column=3)
    assert cell.value == '=HYPERLINK("http://x")'
    assert cell.data_type == "s"


def test_the_months_owed_a_note(world):
    posting = world.a.posting
    months = rules.expected_note_months(posting, TODAY())
    assert months[0] == posting.start_date.replace(day=1)
    assert months[-1] == months_ago(1, TODAY())


def test_what_users_typed_is_escaped_on_the_dossier_and_its_print_view(
    login, org_a, world, records
):
    evil = "<script>alert(1)</script>"
    cadre = world.a.cadre
    cadre.name = f"<b>{CADRE_A_NAME}</b>"
    cadre.save(update_fields=["name"])
    WorkLogFactory(
        posting=world.a.posting,
        date=world.a.posting.start_date + dt.timedelta(days=20),
        content=f"第一行{evil}\n第二行",
    )
    records["talk"].outcome = f'"><img src=x onerror=alert(1)>{evil}'
    records["talk"].save(update_fields=["outcome"])
    Posting.objects.filter(pk=world.a.posting.pk).update(title=f"村书记{evil}")
    client = login(org_a)
    for name in ("cadres:detail", "cadres:dossier_print"):
        body = client.get(reverse(name, args=[cadre.pk])).content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body, name
        assert "<b>司马" not in body, name
        assert "第一行&lt;script&gt;alert(1)&lt;/script&gt;<br>第二行" in body, name
        assert "村书记&lt;script&gt;" in body, name


def test_a_page_of_the_timeline_shows_its_own_entries(login, org_a, world, settings):
    settings.DOSSIER_PAGE_SIZE = 3
    start = world.a.posting.start_date
    for i in range(5):
        WorkLogFactory(
            posting=world.a.posting,
            date=start + dt.timedelta(days=i),
            content=f"日志{i}",
        )
    # Newest first: the world's note (two months ago), then the logs.
    response = _page(login(org_a), world.a.cadre, page=2)
    assert [e.record.content for e in response.context["entries"]] == [
        "日志2",
        "日志1",
        "日志0",
    ]
    body = response.content.decode()
    assert body.count('class="card mb-2 dossier-entry"') == 3
    assert "日志2" in body and "日志0" in body and "日志3" not in body


# --- Reading: each request its own scope, filters and data ---------------------


def _two_county_cadre(world, tree):
    """Cadre A with an earlier, completed posting to county B (乙一镇)."""
    earlier = PostingFactory(
        cadre=world.a.cadre,
        sending_unit=tree.organ_a,
        receiving_unit=tree.township_b1,
        start_date=dt.date(2024, 1, 1),
        planned_end_date=dt.date(2024, 12, 31),
        status=Posting.Status.COMPLETED,
    )
    TalkFactory(posting=earlier, content="乙县的谈话")
    TalkFactory(posting=world.a.posting, content="甲县的谈话")
    return earlier


def test_each_user_reads_the_dossier_in_their_own_scope(
    login, org_a, org_b, host_a, host_b, world, tree
):
    earlier = _two_county_cadre(world, tree)

    def talks(user) -> list[str]:
        response = _page(login(user), world.a.cadre, kind="talk")
        assert response.status_code == 200
        return sorted(e.record.content for e in response.context["entries"])

    # In turn, back and forth: nothing of one user's scope reaches the next.
    for _round in range(2):
        assert talks(org_a) == ["乙县的谈话", "甲县的谈话"]
        assert talks(org_b) == ["乙县的谈话"]
        assert talks(host_a) == ["甲县的谈话"]
        assert talks(host_b) == ["乙县的谈话"]
    body = _page(login(org_b), world.a.cadre).content.decode()
    assert "甲一镇" not in body and earlier.get_absolute_url() in body
    assert _page(login(org_b), world.b.cadre).status_code == 200
    assert _page(login(host_a), world.b.cadre).status_code == 404


def test_a_changed_filter_gives_fresh_results(login, org_a, world, records, tree):
    earlier = _two_county_cadre(world, tree)
    client = login(org_a)

    def shown(**params) -> list[str]:
        return [
            e.kind.key
            for e in _page(client, world.a.cadre, **params).context["entries"]
        ]

    assert shown(kind="talk") == ["talk", "talk", "talk"]
    assert shown(kind="worklog") == ["worklog"]
    assert set(shown()) == {k.key for k in dossier.KINDS}
    assert shown(posting=earlier.pk) == ["talk"]
    assert "talk" in shown(posting=world.a.posting.pk)
    assert len(shown(posting=world.a.posting.pk)) == len(shown()) - 1


def test_records_written_between_requests_show_on_the_next(login, org_a, host_a, world):
    from tests.assessment.factories import make_round

    this_month = TODAY().replace(day=1)
    note = MonthlyNoteFactory(posting=world.a.posting, month=this_month, author=host_a)
    edit = reverse("cadres:note_edit", args=[note.pk])
    client = login(host_a)
    assert edit in _page(client, world.a.cadre).content.decode()
    # A month lock over the note's month: the edit link goes at once.
    NoteMonthLock.objects.create(unit=None, month=note.month, locked_by=org_a)
    assert edit not in _page(client, world.a.cadre).content.decode()
    # A round that closes: its result joins the timeline at once.
    round_ = make_round(org_a, [world.a.posting], name="刚结束的轮次")
    assert "刚结束的轮次" not in _page(client, world.a.cadre).content.decode()
    round_.status = "closed"
    round_.closed_at = timezone.now()
    round_.save(update_fields=["status", "closed_at"])
    assert "刚结束的轮次" in _page(client, world.a.cadre).content.decode()


def test_org_staff_see_results_of_their_own_rounds_only(login, org_a, org_city, world):
    from tests.assessment.factories import make_round

    make_round(org_city, [world.a.posting], name="市级轮次", status="closed")
    make_round(org_a, [world.a.posting], name="县级轮次", status="closed")

    def rounds(user) -> set[str]:
        entries = _page(login(user), world.a.cadre, kind="assessment").context[
            "entries"
        ]
        return {e.record.round.name for e in entries}

    assert rounds(org_city) == {"市级轮次", "县级轮次"}
    assert rounds(org_a) == {"县级轮次"}


def test_the_dossier_page_runs_a_fixed_number_of_queries(
    login, org_a, world, records, django_assert_num_queries
):
    client = login(org_a)
    url = reverse("cadres:detail", args=[world.a.cadre.pk])
    client.get(url)
    # session, user, the cadre, its postings; one query per record kind (12:
    # logs, notes, reports, talks, symposia with their other attendees,
    # trainings, commendations, visits, support needs, warnings, appraisals,
    # assessments); the report files, the month locks over the notes; the
    # unread badge.
    with django_assert_num_queries(19):
        assert client.get(url).status_code == 200


def test_records_of_one_day_are_ordered_by_when_they_were_filed(login, org_a, world):
    """The timeline alone orders the records (the kinds are read unordered):
    of two talks on the same day, the one filed later comes first, whatever
    their primary keys."""
    from records.models import Talk

    day = dt.date.today() - dt.timedelta(days=3)
    first = TalkFactory(posting=world.a.posting, talked_on=day, content="先建后填")
    second = TalkFactory(posting=world.a.posting, talked_on=day, content="后建先填")
    filed = timezone.now()
    Talk.objects.filter(pk=first.pk).update(created_at=filed)
    Talk.objects.filter(pk=second.pk).update(created_at=filed - dt.timedelta(hours=1))
    talks = _page(login(org_a), world.a.cadre, kind="talk").context["entries"]
    ours = {first.pk, second.pk}
    assert [e.record.pk for e in talks if e.record.pk in ours] == [first.pk, second.pk]
