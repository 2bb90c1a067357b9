"""Rounds get a deadline (issue 17): evaluations and ballots fall due on it.
Rounds already collecting or closed keep every row and get the default: the
period's end, or 30 days after collecting first started if that is later."""

import datetime as dt

from django.db import migrations, models
from django.utils import timezone

COLLECTING_DAYS = 30  # Round.COLLECTING_DAYS when this was written


def set_deadlines(apps, schema_editor):
    Round = apps.get_model("assessment", "Round")
    RoundEvent = apps.get_model("assessment", "RoundEvent")
    started = {}
    for round_id, at in (
        RoundEvent.objects.filter(to_status="collecting", from_status="open")
        .order_by("at")
        .values_list("round_id", "at")
    ):
        started.setdefault(round_id, timezone.localdate(at))
    rounds = list(Round.objects.exclude(status="open"))
    for round_ in rounds:
        start = started.get(round_.pk)
        round_.deadline = (
            max(round_.period_end, start + dt.timedelta(days=COLLECTING_DAYS))
            if start
            else round_.period_end
        )
    Round.objects.bulk_update(rounds, ["deadline"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0003_chinese_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalround",
            name="deadline",
            field=models.DateField(blank=True, null=True, verbose_name="截止日期"),
        ),
        migrations.AddField(
            model_name="round",
            name="deadline",
            field=models.DateField(blank=True, null=True, verbose_name="截止日期"),
        ),
        migrations.RunPython(set_deadlines, migrations.RunPython.noop),
    ]
