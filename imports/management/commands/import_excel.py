"""python manage.py import_excel {units,cadres,postings,users} FILE
[--as USERNAME] [--reason TEXT] [--commit]

The web import's checks and commit from the command line: one line per error
(`第N行 列名: 说明`) and per warning (`提示 第N行 列名: 说明`); exit status 1
when there are errors; `--commit` writes when there are none (warnings need
`--reason`). Without `--as` it acts with the admin's scope.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cadres.models import Role, User
from imports import services
from imports.spec import SPECS


class Command(BaseCommand):
    @property
    def help(self) -> str:
        # A plain str: argparse cannot format a lazy string.
        return _("从 Excel（.xlsx）或 CSV 文件导入单位、干部、挂职或用户。")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(SPECS))
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", default="")
        parser.add_argument("--reason", default="")
        parser.add_argument("--commit", action="store_true")

    def handle(self, *args, kind, file, username, reason, commit, **options):
        user = self._user(username)
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("找不到文件：%(file)s") % {"file": file})
        with path.open("rb") as fileobj:
            result = services.preview_file(kind, fileobj, path.name, user=user)
        for problem in result.errors:
            self.stdout.write(services.line(problem))
        for problem in result.warnings:
            self.stdout.write(services.line(problem, warning=True))
        counts = result.counts
        self.stdout.write(
            _(
                "共%(rows)s行：新增%(new)s，更新%(update)s，"
                "无变化%(same)s，错误%(error)s。"
            )
            % {"rows": len(result.rows), **counts}
        )
        if result.errors:
            raise SystemExit(1)
        if not commit:
            return
        if result.warnings and not reason.strip():
            self.stdout.write(_("有提示，请用 --reason 说明理由后再导入。"))
            raise SystemExit(1)
        try:
            with path.open("rb") as fileobj:
                outcome = services.commit_file(
                    kind, fileobj, path.name, by=user, reason=reason
                )
        except services.ImportFailed as exc:
            for problem in exc.problems:
                self.stdout.write(services.line(problem))
            raise SystemExit(1) from exc
        self.stdout.write(
            _("已导入：新增%(created)s，更新%(updated)s，无变化%(unchanged)s。")
            % {
                "created": outcome["created"],
                "updated": outcome["updated"],
                "unchanged": outcome["unchanged"],
            }
        )
        base = getattr(settings, "SITE_URL", "http://localhost:8000")
        for name, link in services.first_login_links(
            outcome.get("new_users", []), base
        ):
            self.stdout.write(
                _("首次登录链接 %(name)s: %(link)s") % {"name": name, "link": link}
            )

    def _user(self, username: str) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None or user.role not in (Role.ORG_STAFF, Role.ADMIN):
                raise CommandError(
                    _("“%(username)s”不是在用的组织部工作人员或系统管理员账号。")
                    % {"username": username}
                )
            return user
        user = (
            User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
        )
        if user is None:
            raise CommandError(_("没有系统管理员账号：请用 --as 指定导入人。"))
        return user
