"""Reading an upload, previewing it, committing it: one importer for the web
pages, the Celery task and `manage.py import_excel`.

The commit validates the file again inside its transaction and writes every
row or none: any error (a rule that changed since the preview, a database
constraint, an interruption) rolls the whole file back, so a failed commit
can simply be run again. Rows are found by their keys (cadres by 身份证号,
units by name under their parent, postings by 身份证号 + 接收单位 + 开始日期,
users by 用户名), so a second import of the same file updates, never
duplicates.
"""

import io
from collections.abc import Callable

from constance import config
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import (
    urlencode,
    urlsafe_base64_decode,
    urlsafe_base64_encode,
)
from django.utils.translation import gettext as _

from cadres.models import Cadre, Unit, User
from cadres.services import unit_create
from postings.models import Batch, Posting
from postings.services import posting_create, posting_transition, posting_update

from .checks import ERROR, NEW, UPDATE, Preview, Problem, preview
from .models import ImportJob
from .parsing import key
from .reading import FileRefused, Table, read_table
from .spec import SPECS

BULK = 500


class ImportFailed(Exception):
    """The commit found errors; nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems[:5]))
        self.problems = problems


def max_rows() -> int:
    return int(config.IMPORT_MAX_ROWS)


def read(kind: str, fileobj, filename: str) -> Table:
    """The file as a table; FileRefused with a Chinese message when it cannot
    be read safely."""
    return read_table(
        fileobj, filename, headers=SPECS[kind].headers, max_rows=max_rows()
    )


def preview_file(kind: str, fileobj, filename: str, *, user, mapping=None) -> Preview:
    """The preview of a file; a file that cannot be read is one error."""
    try:
        table = read(kind, fileobj, filename)
    except FileRefused as exc:
        result = Preview(spec=SPECS[kind], headers=[])
        result.errors.append(Problem(0, "", str(exc)))
        return result
    return preview(kind, table, user=user, mapping=mapping)


def job_preview(job: ImportJob) -> Preview:
    return preview_file(
        job.kind,
        io.BytesIO(bytes(job.data)),
        job.filename,
        user=job.user,
        mapping=job.mapping,
    )


# --- Commit ------------------------------------------------------------------


def progress_key(job_id: int) -> str:
    return f"imports:progress:{job_id}"


def progress_of(job_id: int) -> int:
    """Per cent done of a running commit (kept in the cache: the commit's own
    transaction is invisible to others until it ends)."""
    return int(cache.get(progress_key(job_id), 0))


def commit_file(
    kind: str,
    fileobj,
    filename: str,
    *,
    by: User,
    reason: str = "",
    mapping=None,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Validate and write the whole file in one transaction; ImportFailed
    (nothing written) when any row has an error or a warning lacks a reason."""
    with transaction.atomic():
        result = preview_file(kind, fileobj, filename, user=by, mapping=mapping)
        if result.errors:
            raise ImportFailed(result.errors)
        if result.warnings and not reason.strip():
            raise ImportFailed(
                [Problem(0, "", _("有需说明理由的提示，请填写理由后再导入。"))]
            )
        done = WRITERS[kind](result, by=by, reason=reason.strip(), progress=progress)
        counts = result.counts
        return {
            "created": counts[NEW],
            "updated": counts[UPDATE],
            "unchanged": counts["same"],
            **done,
        }


def _tick(progress, done: int, total: int) -> None:
    if progress is not None and (done % 100 == 0 or done == total):
        progress(done, total)


def _write_units(result: Preview, *, by, reason, progress) -> dict:
    created: dict[int, Unit] = {}
    total = len(result.rows)
    for done, plan in enumerate(result.rows, start=1):
        data = dict(plan.data)
        if plan.action == NEW:
            parent = data.pop("parent")
            if parent is not None and parent.pk < 0:
                parent = created[parent.pk]
            created[plan.extra["temp_id"]] = unit_create(parent=parent, **data)
        elif plan.action == UPDATE:
            unit = Unit.objects.get(pk=plan.target.pk)
            for name, value in data.items():
                setattr(unit, name, value)
            unit.full_clean(exclude=["path"])
            unit.save(update_fields=list(data))
        _tick(progress, done, total)
    return {}


def _write_cadres(result: Preview, *, by, reason, progress) -> dict:
    new, changed, fields = [], [], set()
    for plan in result.rows:
        if plan.action == NEW:
            # Every value went through the column's parser and limits
            # (imports.checks); the table's constraints stand behind them.
            new.append(Cadre(**plan.data))
        elif plan.action == UPDATE:
            cadre = plan.target
            for name, value in plan.data.items():
                setattr(cadre, name, value)
            fields |= set(plan.data) - {"id_number"}
            changed.append(cadre)
    total, done = len(new) + len(changed), 0
    for start in range(0, len(new), BULK):
        Cadre.objects.bulk_create(new[start : start + BULK])
        done += len(new[start : start + BULK])
        if progress is not None:
            progress(done, total)
    if changed:
        now = timezone.now()
        for cadre in changed:
            cadre.updated_at = now
        for start in range(0, len(changed), BULK):
            Cadre.objects.bulk_update(
                changed[start : start + BULK], [*sorted(fields), "updated_at"]
            )
            done += len(changed[start : start + BULK])
            if progress is not None:
                progress(done, total)
    return {}


def _write_postings(result: Preview, *, by, reason, progress) -> dict:
    batches: dict[str, Batch] = {}
    total = len(result.rows)
    for done, plan in enumerate(result.rows, start=1):
        if plan.action not in (NEW, UPDATE):
            _tick(progress, done, total)
            continue
        data = dict(plan.data)
        batch = data.get("batch")
        if batch is not None and batch.pk is None:
            if batch.name not in batches:
                batch.kinds = [data["kind"]]
                batch.created_by = by
                batch.full_clean()
                batch.save()
                batches[batch.name] = batch
            data["batch"] = batches[batch.name]
        try:
            if plan.action == UPDATE:
                for name in ("cadre", "receiving_unit", "start_date"):
                    data.pop(name)
                posting_update(
                    posting=Posting.objects.get(pk=plan.target.pk),
                    by=by,
                    override_reason=reason,
                    **data,
                )
            else:
                _create_with_history(plan, data, by=by, reason=reason)
        except ValidationError as exc:
            raise ImportFailed(_row_problems(plan.number, exc)) from exc
        _tick(progress, done, total)
    return {"batches": sorted(batches)}


def _create_with_history(plan, data: dict, *, by, reason) -> None:
    """A posting and, for one recorded after the fact, its status changes,
    each by the importing user (postings.services.posting_transition)."""
    posting = posting_create(by=by, override_reason=reason, **data)
    status = plan.extra["status"]
    if status == Posting.Status.PROPOSED:
        return
    posting = posting_transition(
        posting=posting, action="activate", on=posting.start_date, by=by
    )
    if status == Posting.Status.COMPLETED:
        posting_transition(
            posting=posting, action="complete", on=plan.extra["ended_on"], by=by
        )
    elif status == Posting.Status.ENDED_EARLY:
        posting_transition(
            posting=posting,
            action="end_early",
            on=plan.extra["ended_on"],
            by=by,
            reason=plan.extra["end_reason"],
        )


def _row_problems(number: int, exc: ValidationError) -> list[Problem]:
    if hasattr(exc, "error_dict"):
        return [
            Problem(number, field, message)
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [Problem(number, "", message) for message in exc.messages]


def _write_users(result: Preview, *, by, reason, progress) -> dict:
    created = []
    total = len(result.rows)
    for done, plan in enumerate(result.rows, start=1):
        if plan.action == NEW:
            user = User(**plan.data)
            # Never imported: the user sets it through a one-time link.
            user.set_unusable_password()
            user.full_clean(exclude=["password"])
            user.save()
            created.append(user.pk)
        elif plan.action == UPDATE:
            user = plan.target
            for name, value in plan.data.items():
                setattr(user, name, value)
            user.full_clean(exclude=["password"])
            user.save(update_fields=[f for f in plan.data if f != "username"])
        _tick(progress, done, total)
    return {"new_users": created}


WRITERS = {
    "units": _write_units,
    "cadres": _write_cadres,
    "postings": _write_postings,
    "users": _write_users,
}


def first_login_links(user_ids: list[int], base_url: str) -> list[tuple[str, str]]:
    """(username, link) for each new account that has not set its password:
    a one-time link (Django's password reset token: spent once the password
    is set, expires after PASSWORD_RESET_TIMEOUT)."""
    links = []
    for user in User.objects.filter(pk__in=user_ids).order_by("username"):
        if user.has_usable_password():
            continue
        query = urlencode(
            {
                "u": urlsafe_base64_encode(force_bytes(user.pk)),
                "t": default_token_generator.make_token(user),
            }
        )
        path = reverse("imports:first_password")
        links.append((user.username, f"{base_url.rstrip('/')}{path}?{query}"))
    return links


def link_user(uid: str, token: str) -> User | None:
    """The account a first-password link is for, None when the link is
    spent (its password set), expired or made up."""
    try:
        pk = int(urlsafe_base64_decode(uid).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or user.has_usable_password():
        return None
    return user if default_token_generator.check_token(user, token) else None


# --- Jobs (the web pages and the task) ----------------------------------------


def job_commit(*, job_id: int) -> ImportJob:
    """Commit an upload (from the page or the task): rerunnable until done;
    a failure leaves nothing written and the job marked failed."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status == ImportJob.Status.DONE:
        return job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    cache.set(progress_key(job.pk), 0, 3600)

    def progress(done: int, total: int) -> None:
        cache.set(progress_key(job.pk), done * 100 // max(total, 1), 3600)

    try:
        outcome = commit_file(
            job.kind,
            io.BytesIO(bytes(job.data)),
            job.filename,
            by=job.user,
            reason=job.reason,
            mapping=job.mapping,
            progress=progress,
        )
    except ImportFailed as exc:
        job.status, job.message = ImportJob.Status.FAILED, _describe(exc.problems)
        job.save(update_fields=["status", "message"])
        return job
    except IntegrityError:
        # Another import or a form wrote one of these rows meanwhile.
        job.status = ImportJob.Status.FAILED
        job.message = _(
            "与同时进行的其他修改冲突，未写入任何数据。请返回预览重新检查后再导入。"
        )
        job.save(update_fields=["status", "message"])
        return job
    job.status, job.result, job.message = ImportJob.Status.DONE, outcome, ""
    job.finished_at = timezone.now()
    # The file holds personal data (ID numbers, phones): kept no longer than
    # it is needed, which ends with the commit.
    job.data = b""
    job.save(update_fields=["status", "result", "message", "finished_at", "data"])
    cache.set(progress_key(job.pk), 100, 3600)
    return job


def _describe(problems: list[Problem]) -> str:
    return "\n".join(line(p) for p in problems[:50])


def line(problem: Problem, *, warning: bool = False) -> str:
    """`第N行 列名: 说明` (the command line's format), `提示 ` before a warning."""
    if problem.row:
        where = _("第%(row)s行 %(column)s") % {
            "row": problem.row,
            "column": problem.column,
        }
    elif problem.column:
        where = _("文件 %(column)s") % {"column": problem.column}
    else:
        where = _("文件")
    return f"{_('提示 ') if warning else ''}{where}: {problem.message}"


def job_create(*, user: User, kind: str, upload) -> ImportJob:
    """Store an upload for its preview."""
    data = upload.read()
    return ImportJob.objects.create(
        user=user, kind=kind, filename=upload.name[:255], data=data
    )


def job_set_mapping(*, job: ImportJob, names: dict[str, int]) -> None:
    job.mapping = {**job.mapping, **{key(n): pk for n, pk in names.items()}}
    job.save(update_fields=["mapping"])


def any_errors(result: Preview) -> bool:
    return any(row.action == ERROR for row in result.rows) or bool(result.errors)
