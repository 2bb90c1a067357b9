from django.core.management.base import BaseCommand

from obligations import services


class Command(BaseCommand):
    help = "更新待办事项：新增已到期的事项，关闭已完成的事项（--catch-up：首次补齐全部历史）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--catch-up",
            action="store_true",
            help="补齐已有数据的全部历史事项（每个过去的月份、每个已结束的挂职），分批进行。",
        )
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, catch_up: bool, batch_size: int, **options):
        if catch_up:

            def progress(done, total, result):
                self.stdout.write(f"{done}/{total} postings: {result.created} created")

            result = services.catch_up(batch_size=batch_size, progress=progress)
        else:
            result = services.sweep()
        self.stdout.write(
            f"{result.created} created, {result.closed} closed "
            f"({', '.join(f'{k} {n}' for k, n in sorted(result.created_by_kind.items()))})"
        )
