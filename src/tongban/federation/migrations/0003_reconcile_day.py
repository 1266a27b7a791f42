from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("federation", "0002_case_replica"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReconcileDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("peer", models.CharField(max_length=32, verbose_name="对方节点")),
                ("agreement_code", models.CharField(max_length=64, verbose_name="协议编号")),
                ("agreement_version", models.PositiveIntegerField(verbose_name="协议版本")),
                ("day", models.DateField(verbose_name="日期")),
                ("own", models.JSONField(default=dict, verbose_name="本节点数据")),
                ("own_at", models.DateTimeField(verbose_name="本节点统计时间")),
                (
                    "theirs",
                    models.JSONField(blank=True, null=True, verbose_name="对方节点数据"),
                ),
                (
                    "theirs_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="对方统计时间"),
                ),
                (
                    "theirs_message",
                    models.CharField(
                        blank=True, default="", max_length=36, verbose_name="对方报文编号"
                    ),
                ),
            ],
            options={
                "verbose_name": "跨节点统计核对",
                "verbose_name_plural": "跨节点统计核对",
                "ordering": ["peer", "agreement_code", "-day"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("peer", "agreement_code", "agreement_version", "day"),
                        name="fed_unique_reconcile_day",
                    )
                ],
            },
        ),
    ]
