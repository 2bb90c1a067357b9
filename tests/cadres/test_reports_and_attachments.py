"""Reports (书面汇报、调研报告、期满总结、述职) and their attachments."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from records import attachments
from records.models import Attachment, Report
from records.rules import report_due_dates
from records.services import report_file
from tests.cadres.files import (
    DOCX_BYTES,
    EXE_BYTES,
    HTML_BYTES,
    JPG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    XLSX_BYTES,
)
from tests.conftest import form_errors
from tests.factories import PostingFactory, ReportFactory


def _post(client, posting, upload=None, **fields):
    data = {"kind": "semiannual", "title": "半年工作汇报", "body": "主要工作如下。"}
    data.update(fields)
    if upload is not None:
        data["upload"] = upload
    return client.post(reverse("cadres:report_create", args=[posting.pk]), data)


def _stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "attachments"
    return sorted(root.iterdir()) if root.exists() else []


def test_report_slots_follow_the_term():
    posting = PostingFactory.build(
        start_date=dt.date(2026, 1, 10), planned_end_date=dt.date(2027, 7, 10)
    )
    posting.set_midterm_date()
    due = report_due_dates(posting)
    # Every six months within the term; the end is the final summary's.
    assert due[Report.Kind.SEMIANNUAL] == [
        dt.date(2026, 7, 10),
        dt.date(2027, 1, 10),
    ]
    assert due[Report.Kind.RESEARCH] == [dt.date(2027, 6, 10)]
    assert due[Report.Kind.FINAL_SUMMARY] == [dt.date(2027, 7, 10)]
    assert due[Report.Kind.SELF_REVIEW] == [posting.midterm_date, dt.date(2027, 7, 10)]


def test_the_cadre_files_a_report_with_a_pdf(
    login, cadre_user, home_a, world, settings
):
    upload = SimpleUploadedFile("挂职半年汇报（第一期）.pdf", PDF_BYTES)
    response = _post(login(cadre_user), world.a.posting, upload)
    assert response.status_code == 302
    report = Report.objects.get()
    slots = report_due_dates(world.a.posting)[Report.Kind.SEMIANNUAL]
    assert report.due_date == slots[0]
    attachment = report.attachments.get()
    assert attachment.original_name == "挂职半年汇报（第一期）.pdf"
    assert attachment.content_type == "application/pdf"
    stored = _stored_files(settings)
    assert [p.name for p in stored] == [attachment.stored_name]
    assert stored[0].read_bytes() == PDF_BYTES
    # Stored outside the static files, under a generated name.
    assert "pdf" not in attachment.stored_name and "汇报" not in attachment.stored_name
    # Readable by whoever may read the dossier, as a download.
    download = login(home_a).get(attachment.get_absolute_url())
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition
    assert "%E6%8C%82%E8%81%8C" in disposition  # 挂职, percent-encoded


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("调研数据.xlsx", XLSX_BYTES),
        ("调研报告.docx", DOCX_BYTES),
        ("现场.jpg", JPG_BYTES),
        ("现场.jpeg", JPG_BYTES),
        ("合影.png", PNG_BYTES),
    ],
)
def test_the_allowed_types_are_accepted(login, cadre_user, world, name, content):
    response = _post(
        login(cadre_user), world.a.posting, SimpleUploadedFile(name, content)
    )
    assert response.status_code == 302
    assert Attachment.objects.get().original_name == name


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("汇报.pdf", EXE_BYTES, "类型不允许上传"),  # a renamed .exe
        ("汇报.exe", EXE_BYTES, "类型不允许上传"),
        ("汇报.html", HTML_BYTES, "类型不允许上传"),
        ("汇报.pdf", HTML_BYTES, "类型不允许上传"),
        ("汇报.png", PDF_BYTES, "扩展名与内容不符"),
        ("汇报.pdf", b"", "空文件"),
    ],
)
def test_anything_else_gets_a_message_and_nothing_is_stored(
    login, cadre_user, world, settings, name, content, message
):
    response = _post(
        login(cadre_user),
        world.a.posting,
        SimpleUploadedFile(name, content),
        title="记住我",
    )
    assert response.status_code == 200
    assert message in form_errors(response)
    assert 'value="记住我"' in response.content.decode()  # the form keeps the input
    assert not Report.objects.exists()
    assert not Attachment.objects.exists()
    assert _stored_files(settings) == []


def test_an_oversized_file_is_refused(login, cadre_user, world, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    big = SimpleUploadedFile("大文件.pdf", PDF_BYTES + b"0" * 2000)
    response = _post(login(cadre_user), world.a.posting, big)
    assert "大小为2 KB，超过了1 KB的上限" in form_errors(response)
    assert not Report.objects.exists()
    assert _stored_files(settings) == []


def test_the_default_size_limit_is_twenty_megabytes(settings):
    from guazhi import settings as project

    assert project.ATTACHMENT_MAX_BYTES == 20 * 1024 * 1024


def test_a_path_in_the_uploaded_name_is_never_used(
    login, cadre_user, world, settings, tmp_path
):
    upload = SimpleUploadedFile("x.pdf", PDF_BYTES)
    upload.name = "../../../../etc/evil.pdf"  # as a hostile client could send it
    response = _post(login(cadre_user), world.a.posting, upload)
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.original_name == "evil.pdf"
    stored = _stored_files(settings)
    assert [p.name for p in stored] == [attachment.stored_name]
    assert not (tmp_path / "etc").exists()
    assert not list(tmp_path.parent.glob("**/evil.pdf"))


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("..\\..\\windows\\汇报.pdf", "汇报.pdf"),
        ("/etc/passwd", "passwd"),
        ("..", "附件"),
        ("报告\x00\n.pdf", "报告.pdf"),
        ("长" * 300 + ".pdf", "长" * 116 + ".pdf"),
    ],
)
def test_uploaded_names_are_cleaned(raw, clean):
    assert attachments.clean_name(raw) == clean


def test_attachments_follow_the_reports_scope(login, host_b, org_b, world, cadre_user):
    _post(login(cadre_user), world.a.posting, SimpleUploadedFile("a.png", PNG_BYTES))
    attachment = Attachment.objects.get()
    for outsider in (host_b, org_b):
        assert login(outsider).get(attachment.get_absolute_url()).status_code == 404


def test_a_missing_file_on_disk_is_a_404_not_an_error(
    login, cadre_user, world, settings
):
    _post(login(cadre_user), world.a.posting, SimpleUploadedFile("a.png", PNG_BYTES))
    attachment = Attachment.objects.get()
    attachments.path_of(attachment.stored_name).unlink()
    assert login(cadre_user).get(attachment.get_absolute_url()).status_code == 404


def test_each_slot_takes_one_report(cadre_user, world):
    posting = world.a.posting
    report_file(
        posting=posting, author=cadre_user, kind="research", title="调研", body="正文"
    )
    with pytest.raises(ValidationError, match="调研报告已经全部提交"):
        report_file(
            posting=posting, author=cadre_user, kind="research", title="二", body="二"
        )
    assert Report.objects.filter(kind="research").count() == 1


def test_only_the_cadre_files_reports(login, host_a, org_a, world):
    for user in (host_a, org_a):
        assert _post(login(user), world.a.posting).status_code == 404
    with pytest.raises(ValidationError, match="本人"):
        report_file(
            posting=world.a.posting,
            author=host_a,
            kind="research",
            title="代",
            body="代",
        )
    assert not Report.objects.exists()


def test_the_cadre_revises_a_report_and_adds_a_file(login, cadre_user, org_a, world):
    report = ReportFactory(posting=world.a.posting)
    response = login(cadre_user).post(
        reverse("cadres:report_edit", args=[report.pk]),
        {
            "title": "修订稿",
            "body": "补充了数据。",
            "upload": SimpleUploadedFile("表.xlsx", XLSX_BYTES),
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.title == "修订稿"
    assert report.attachments.get().original_name == "表.xlsx"
    # The change is kept: org staff see who changed the title.
    page = login(org_a).get(reverse("cadres:history", args=["report", report.pk]))
    body = page.content.decode()
    assert "修订稿" in body and "半年工作汇报" in body
