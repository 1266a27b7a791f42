# The queue of overdue (red) cases walks this index in order: only the open cases carry a
# limit (ADR 0139).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_case_due_order_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(overdue_on__isnull=False) | models.Q(overdue_at__isnull=False),
                fields=["-received_at", "-id"],
                name="cases_case_limited_recv_idx",
            ),
        ),
    ]
