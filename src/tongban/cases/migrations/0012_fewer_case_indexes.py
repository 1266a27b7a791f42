"""Six indexes of the case row go (ADR 0145): each is on the leading column of a
composite index that stays, and each cost every move's UPDATE (a new status is never a
HOT update, so every index of the row gets an entry); the status one had PostgreSQL's
LIKE twin besides. Only the indexes are dropped: Django's own AlterField would drop and
re-validate the foreign keys as well, a scan of every case under lock, for nothing."""

import django.db.models.deletion
from django.db import migrations, models


INDEXES = [
    ("cases_case_applicant_id_756c921c", "applicant_id"),
    ("cases_case_handling_jurisdiction_id_bba83c91", "handling_jurisdiction_id"),
    ("cases_case_received_at_6c788240", "received_at"),
    ("cases_case_receiving_jurisdiction_id_82b8b6f0", "receiving_jurisdiction_id"),
    ("cases_case_status_95787cb3", "status"),
]
# PostgreSQL's twin of a CharField index, for LIKE 'prefix%' (nothing asks that of a status)
LIKE = ("cases_case_status_95787cb3_like", "status varchar_pattern_ops")


def _drop_like(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {LIKE[0]}")


def _create_like(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {LIKE[0]} ON cases_case ({LIKE[1]})")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_user_grants_version"),
        ("cases", "0011_case_status_received_index"),
        ("regions", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="case",
                    name="applicant",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cases",
                        to="accounts.applicant",
                        verbose_name="申请人",
                    ),
                ),
                migrations.AlterField(
                    model_name="case",
                    name="handling_jurisdiction",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="handled_cases",
                        to="regions.jurisdiction",
                        verbose_name="办理地",
                    ),
                ),
                migrations.AlterField(
                    model_name="case",
                    name="received_at",
                    field=models.DateTimeField(verbose_name="收件时间"),
                ),
                migrations.AlterField(
                    model_name="case",
                    name="receiving_jurisdiction",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="全程网办无收件地",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="received_cases",
                        to="regions.jurisdiction",
                        verbose_name="收件地",
                    ),
                ),
                migrations.AlterField(
                    model_name="case",
                    name="status",
                    field=models.CharField(
                        choices=[
                            ("received", "已收件"),
                            ("supplement_at_receipt", "收件待补正"),
                            ("checked", "已形式审查"),
                            ("in_transfer", "材料流转中"),
                            ("pending_acceptance", "待受理"),
                            ("supplement_before_acceptance", "受理前待补正"),
                            ("accepted", "已受理(审查中)"),
                            ("accepted_conditionally", "容缺受理"),
                            ("supplement_in_review", "审查中待补正"),
                            ("paused", "特别程序(暂停计时)"),
                            ("approved", "准予许可"),
                            ("denied", "不予许可"),
                            ("result_issued", "已出证"),
                            ("in_delivery", "结果寄递中"),
                            ("to_window", "结果送往收件窗口"),
                            ("awaiting_pickup", "待窗口领取"),
                            ("delivered", "已送达"),
                            ("completed", "已办结"),
                            ("refused", "不予受理"),
                            ("withdrawn", "已撤回"),
                            ("terminated", "已终止"),
                        ],
                        max_length=32,
                        verbose_name="状态",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}",
                    f"CREATE INDEX IF NOT EXISTS {name} ON cases_case ({column})",
                )
                for name, column in INDEXES
            ]
            + [migrations.RunPython(_drop_like, _create_like)],
        ),
    ]
