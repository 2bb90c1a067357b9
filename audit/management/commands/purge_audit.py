from django.core.management.base import BaseCommand

from audit import services


class Command(BaseCommand):
    help = "删除超过保存期限（系统设置 AUDIT_RETENTION_DAYS）的审计日志。"

    def handle(self, *args, **options):
        removed = services.purge_expired()
        self.stdout.write(f"已删除 {removed} 条过期审计日志。")
