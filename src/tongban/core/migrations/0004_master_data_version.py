from django.db import migrations, models


def create_row(apps, schema_editor):
    apps.get_model("core", "MasterDataVersion").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_rate_limits_and_cache")]

    operations = [
        migrations.CreateModel(
            name="MasterDataVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.BigIntegerField(default=0, verbose_name="版本")),
            ],
            options={"verbose_name": "主数据版本", "verbose_name_plural": "主数据版本"},
        ),
        migrations.RunPython(create_row, migrations.RunPython.noop),
    ]
