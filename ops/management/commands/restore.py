"""manage.py restore <archive>: into a database and media folder, verified."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, restore


class Command(BaseCommand):
    # A backup or a restore runs in a damaged installation too.
    requires_system_checks = []
    help = (
        "把 manage.py backup 的归档恢复到数据库和媒体目录（默认为当前配置的；"
        "非空时须加 --replace），再把每张表的行数和每个文件的 SHA-256 与清单核对。"
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="manage.py backup 写出的归档")
        parser.add_argument(
            "--database-url",
            help="恢复到哪个数据库：postgres://用户@主机:端口/库名（不存在则创建），"
            "或 sqlite:////绝对路径；默认为当前配置的数据库",
        )
        parser.add_argument(
            "--media-dir", type=Path, help="恢复附件到哪个目录；默认为 MEDIA_ROOT"
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="目标数据库已有表或媒体目录已有文件时仍然恢复（覆盖）",
        )

    def handle(self, *args, archive: Path, **options):
        try:
            manifest, result, target, media_root = restore(
                archive,
                database_url=options["database_url"],
                media_dir=options["media_dir"],
                replace=options["replace"],
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"已恢复 {archive}（{manifest['created']} 的 {manifest['vendor']} 备份）"
            f"到数据库 {target.label}，媒体目录 {media_root}。"
        )
        for line in result.lines():
            self.stdout.write(line)
        if not result.ok:
            raise CommandError("恢复结果与清单不一致（见上表）。")
        self.stdout.write("核对无误：每张表的行数和每个文件都与清单一致。")
