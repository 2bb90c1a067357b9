from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0002_chinese_names"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="warning",
            index=models.Index(fields=["created_at"], name="warning_created"),
        ),
    ]
