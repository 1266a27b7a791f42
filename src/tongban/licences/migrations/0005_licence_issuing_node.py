from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("licences", "0004_signing_state"),
    ]

    operations = [
        migrations.AddField(
            model_name="licence",
            name="issuing_node",
            field=models.CharField(blank=True, default="", max_length=32, verbose_name="签发节点"),
        ),
    ]
