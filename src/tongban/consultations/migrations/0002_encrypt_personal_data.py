# Personal data encrypted at rest (ADR 0098): columns become SM4-GCM ciphertexts, the
# existing rows are encrypted in place and exact look-ups move to blind indexes.

import tongban.core.fields
from tongban.core.keyrotation import encrypt_existing_rows
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="consultation",
            name="asker_phone",
            field=tongban.core.fields.EncryptedTextField(blank=True, verbose_name="联系电话"),
        ),
        encrypt_existing_rows("consultations", "Consultation"),
    ]
