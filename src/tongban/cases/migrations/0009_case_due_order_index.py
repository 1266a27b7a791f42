# The queue by due date (ordering=due) walks this index in order (ADR 0131).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_encrypt_personal_data"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["overdue_on", "id"], name="cases_case_due_order_idx"),
        ),
    ]
