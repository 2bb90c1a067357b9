"""The daily reminder sweep as a django-celery-beat entry that admins see and
change in the admin (周期任务): 07:00 Asia/Shanghai. The hourly mid-term
reminder sweep it replaces is switched off (kept, not deleted)."""

import json

from django.db import migrations

NAME = "notifications-sweep"
TASK = "notifications.tasks.sweep_notifications"
OLD = "reminders-midterm-sweep"


def forwards(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="7",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": TASK,
            "crontab": crontab,
            "args": json.dumps([]),
            "kwargs": json.dumps({}),
            "description": "提醒阶梯：每天扫描到期的提醒并发送（默认北京时间7:00）。",
        },
    )
    PeriodicTask.objects.filter(name=OLD).update(enabled=False)


def backwards(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()
    PeriodicTask.objects.filter(name=OLD).update(enabled=True)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
