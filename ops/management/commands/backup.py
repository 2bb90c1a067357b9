"""manage.py backup <archive>: the database and the attachments, one archive."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, backup


class Command(BaseCommand):
    # A backup or a restore runs in a damaged installation too.
    requires_system_checks = []
    help = (
        "把数据库（PostgreSQL：pg_dump；SQLite：在线备份）连同附件写入一个 "
        "tar.gz 归档，附清单（每张表的行数、每个文件的 SHA-256）。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "archive", type=Path, help="归档文件路径（.tar.gz），不得已存在"
        )

    def handle(self, *args, archive: Path, **options):
        try:
            manifest = backup(archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        size = archive.stat().st_size
        self.stdout.write(
            f"已备份到 {archive}（{size / (1024 * 1024):.1f} MB）："
            f"{manifest['vendor']} 数据库 {len(manifest['tables'])} 张表、"
            f"{manifest['rows']} 行，媒体文件 {manifest['file_count']} 个。"
        )
