# Personal data encrypted at rest (ADR 0098): columns become SM4-GCM ciphertexts, the
# existing rows are encrypted in place and exact look-ups move to blind indexes.

import tongban.core.fields
from tongban.core.keyrotation import encrypt_existing_rows
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_encrypt_personal_data"),
        ("cases", "0008_encrypt_personal_data"),
        ("licences", "0001_initial"),
        ("regions", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="licence",
            name="licences_li_holder__56b414_idx",
        ),
        migrations.AddField(
            model_name="licence",
            name="holder_identifier_index",
            field=tongban.core.fields.BlindIndexField(
                kind="identifier", source="holder_identifier", verbose_name="持证主体代码索引"
            ),
        ),
        migrations.AlterField(
            model_name="licence",
            name="holder_identifier",
            field=tongban.core.fields.EncryptedTextField(
                help_text="公民身份号码或统一社会信用代码", verbose_name="持证主体代码"
            ),
        ),
        migrations.AddIndex(
            model_name="licence",
            index=models.Index(
                fields=["holder_identifier_index", "status"], name="licences_li_holder__e429ee_idx"
            ),
        ),
        migrations.AlterField(
            model_name="licence",
            name="data",
            field=tongban.core.fields.EncryptedJSONField(verbose_name="结构化数据"),
        ),
        encrypt_existing_rows("licences", "Licence"),
    ]
