# Personal data encrypted at rest (ADR 0098): columns become SM4-GCM ciphertexts, the
# existing rows are encrypted in place and exact look-ups move to blind indexes.

import tongban.core.fields
from tongban.core.keyrotation import encrypt_existing_rows
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_personal_data_read"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="applicant",
            name="one_applicant_per_id_number",
        ),
        migrations.AddField(
            model_name="applicant",
            name="agent_id_number_index",
            field=tongban.core.fields.BlindIndexField(
                db_index=True,
                kind="identifier",
                source="agent_id_number",
                verbose_name="经办人身份号码索引",
            ),
        ),
        migrations.AddField(
            model_name="applicant",
            name="id_number_index",
            field=tongban.core.fields.BlindIndexField(
                db_index=True,
                kind="identifier",
                source="id_number",
                verbose_name="公民身份号码索引",
            ),
        ),
        migrations.AlterField(
            model_name="applicant",
            name="address",
            field=tongban.core.fields.EncryptedTextField(blank=True, verbose_name="联系地址"),
        ),
        migrations.AlterField(
            model_name="applicant",
            name="agent_id_number",
            field=tongban.core.fields.EncryptedTextField(blank=True, verbose_name="经办人身份号码"),
        ),
        migrations.AlterField(
            model_name="applicant",
            name="email",
            field=tongban.core.fields.EncryptedTextField(blank=True, verbose_name="电子邮箱"),
        ),
        migrations.AlterField(
            model_name="applicant",
            name="id_number",
            field=tongban.core.fields.EncryptedTextField(blank=True, verbose_name="公民身份号码"),
        ),
        migrations.AlterField(
            model_name="applicant",
            name="phone",
            field=tongban.core.fields.EncryptedTextField(blank=True, verbose_name="联系电话"),
        ),
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=tongban.core.fields.EncryptedTextField(blank=True, verbose_name="手机号"),
        ),
        encrypt_existing_rows("accounts", "User", "Applicant"),
        migrations.AddConstraint(
            model_name="applicant",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "person")),
                fields=("id_number_index",),
                name="one_applicant_per_id_number",
            ),
        ),
    ]
