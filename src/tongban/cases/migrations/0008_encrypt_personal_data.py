# Personal data encrypted at rest (ADR 0098): columns become SM4-GCM ciphertexts, the
# existing rows are encrypted in place and exact look-ups move to blind indexes.

import tongban.core.fields
from tongban.core.keyrotation import encrypt_existing_rows
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_case_same_day_limits"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="delivery_address",
            field=tongban.core.fields.EncryptedTextField(blank=True, verbose_name="寄递地址"),
        ),
        migrations.AlterField(
            model_name="shipment",
            name="address",
            field=tongban.core.fields.EncryptedTextField(blank=True, verbose_name="地址"),
        ),
        migrations.AlterField(
            model_name="case",
            name="form_data",
            field=tongban.core.fields.EncryptedJSONField(
                blank=True,
                default=dict,
                help_text="事项的结构化申请表,按 ServiceItem.form_kind 校验(cases/application_forms.py)",
                verbose_name="申请表",
            ),
        ),
        encrypt_existing_rows("cases", "Case", "Shipment"),
    ]
