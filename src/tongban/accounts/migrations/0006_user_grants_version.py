from django.db import migrations, models

import tongban.accounts.models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_encrypt_personal_data")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="grants_version",
            field=models.BigIntegerField(
                default=tongban.accounts.models.new_grants_version,
                editable=False,
                verbose_name="角色版本",
            ),
        ),
    ]
