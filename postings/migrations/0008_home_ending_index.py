from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("postings", "0007_chinese_names"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="posting",
            index=models.Index(
                fields=["status", "planned_end_date"], name="posting_ending"
            ),
        ),
    ]
