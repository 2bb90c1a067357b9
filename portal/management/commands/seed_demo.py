import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from notifications import services as notifications
from obligations import services as obligations
from portal import demo, demo_large
from portal.signals import demo_seeded


class Command(BaseCommand):
    help = (
        "载入演示数据（江南省、江州市及两个县区，约200名干部、80项挂职），可重复运行。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=["small", "large"],
            default="small",
            help="数据规模：small（默认，约200名干部）或 large",
        )

    def handle(self, *args, size: str, **options):
        if size == "large":
            demo_large.seed_command(self)
            return
        started = time.monotonic()
        with transaction.atomic():
            if demo.demo_exists():
                demo.reset_demo_passwords()
                self.stdout.write("演示数据已存在，未重复创建；演示账号密码已重置。")
            else:
                counts = demo.seed_small()
                demo_seeded.send(sender=self.__class__, today=timezone.localdate())
                self.stdout.write(
                    self.style.SUCCESS(
                        "演示数据已创建：单位 {units} 个，干部 {cadres} 名，挂职 {postings} 项，"
                        "月小结 {notes} 份，考核轮次 {rounds} 个（测评票 {ballots} 张），"
                        "中期考核提醒 {reminders} 条（用时 {secs:.1f} 秒）。".format(
                            **counts, secs=time.monotonic() - started
                        )
                    )
                )
            rows = demo.login_rows()
        # What the demo's postings owe today, as the daily sweep keeps it: the
        # first run takes every past month (the catch-up), a rerun the day.
        result = obligations.catch_up()
        self.stdout.write(
            f"待办事项已更新：新增 {result.created} 项，已完成 {result.closed} 项。"
        )
        # And the reminders the daily sweep sends about them, so that the
        # notification centre and the header badge have them from the start.
        swept = notifications.sweep()
        self.stdout.write(f"提醒已更新：新增 {swept.claimed} 条。")
        self.stdout.write("")
        self.stdout.write("演示账号：")
        self.stdout.write(demo.format_table(("角色", "用户名", "密码", "单位"), rows))
