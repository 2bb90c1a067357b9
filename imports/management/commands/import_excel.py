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

from cadres.models import Role, User
from imports import services
from imports.spec import SPECS


class Command(BaseCommand):
    help = "从 Excel（.xlsx）或 CSV 文件导入单位、干部、挂职或用户。"

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
            raise CommandError(f"找不到文件：{file}")
        with path.open("rb") as fileobj:
            result = services.preview_file(kind, fileobj, path.name, user=user)
        for problem in result.errors:
            self.stdout.write(services.line(problem))
        for problem in result.warnings:
            self.stdout.write(services.line(problem, warning=True))
        counts = result.counts
        self.stdout.write(
            f"共{len(result.rows)}行：新增{counts['new']}，更新{counts['update']}，"
            f"无变化{counts['same']}，错误{counts['error']}。"
        )
        if result.errors:
            raise SystemExit(1)
        if not commit:
            return
        if result.warnings and not reason.strip():
            self.stdout.write("有提示，请用 --reason 说明理由后再导入。")
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
            f"已导入：新增{outcome['created']}，更新{outcome['updated']}，"
            f"无变化{outcome['unchanged']}。"
        )
        base = getattr(settings, "SITE_URL", "http://localhost:8000")
        for name, link in services.first_login_links(
            outcome.get("new_users", []), base
        ):
            self.stdout.write(f"首次登录链接 {name}: {link}")

    def _user(self, username: str) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None or user.role not in (Role.ORG_STAFF, Role.ADMIN):
                raise CommandError(
                    f"“{username}”不是在用的组织部工作人员或系统管理员账号。"
                )
            return user
        user = (
            User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
        )
        if user is None:
            raise CommandError("没有系统管理员账号：请用 --as 指定导入人。")
        return user
