# The queue of one state walks this index in order (ADR 0139).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_case_limited_received_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["status", "-received_at", "-id"], name="cases_case_status_recv_idx"
            ),
        ),
    ]
