"""Report attachments: checked by their content, stored under a generated name.

The uploaded name is kept only to show it and to name the download; the file
itself is MEDIA_ROOT/attachments/<random hex>, outside the static files and
served only through the scoped `cadres:attachment` view.
"""

import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from guazhi.uploads import check_office_zip

# Type found in the content -> (content type served, name extensions accepted).
ALLOWED = {
    "pdf": ("application/pdf", {"pdf"}),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        {"docx"},
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        {"xlsx"},
    ),
    "jpg": ("image/jpeg", {"jpg", "jpeg"}),
    "png": ("image/png", {"png"}),
}
# Zip archives of XML parts: checked as archives before they are stored.
OFFICE = {"docx", "xlsx"}
ALLOWED_TEXT = "PDF、Word（.docx）、Excel（.xlsx）、JPG、PNG"
HEAD_BYTES = 8192  # enough for filetype to find the parts of an Office file
MAX_NAME = 120


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int


def clean_name(name: str) -> str:
    """The last component of an uploaded name, printable, of a sane length."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C"))
    name = name.strip().lstrip(".")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: MAX_NAME - len(ext) - 1]}.{ext}" if dot else name[:MAX_NAME]
    return name or "附件"


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Refuse what is too big, empty, of a type not allowed, or misnamed; an
    Office file unsafe to open (guazhi.uploads.check_office_zip: zip bomb,
    macros, XXE, traversal names); a PDF or image with an archive inside."""
    name = clean_name(upload.name or "")
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"文件“{name}”大小为{_size(upload.size)}，超过了{_size(limit)}的上限。",
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(f"文件“{name}”是空文件。", code="empty")
    upload.seek(0)
    kind = filetype.guess(upload.read(HEAD_BYTES))
    upload.seek(0)
    if kind is None or kind.extension not in ALLOWED:
        raise ValidationError(
            f"文件“{name}”的类型不允许上传。只能上传{ALLOWED_TEXT}文件（按文件内容识别，改扩展名无效）。",
            code="type_not_allowed",
        )
    content_type, extensions = ALLOWED[kind.extension]
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in extensions:
        raise ValidationError(
            f"文件“{name}”的扩展名与内容不符：内容是{kind.extension.upper()}文件。",
            code="extension_mismatch",
        )
    if kind.extension in OFFICE:
        try:
            check_office_zip(upload)
        except ValidationError as exc:
            raise ValidationError(f"文件“{name}”{exc.message}", code=exc.code) from exc
    elif zipfile.is_zipfile(upload):
        # A PDF or image with an archive inside (a polyglot: one program opens
        # it as the image, another as the archive) is no honest attachment.
        upload.seek(0)
        raise ValidationError(
            f"文件“{name}”既是{kind.extension.upper()}文件又含有压缩包，不能上传。",
            code="polyglot",
        )
    upload.seek(0)
    return CheckedFile(name=name, content_type=content_type, size=upload.size)


def attachment_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "attachments"


def store(upload: UploadedFile) -> str:
    """Write the upload under a new random name; return that name."""
    root = attachment_root()
    root.mkdir(parents=True, exist_ok=True)
    stored_name = uuid.uuid4().hex
    with open(root / stored_name, "xb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return stored_name


def path_of(stored_name: str) -> Path:
    return attachment_root() / stored_name
