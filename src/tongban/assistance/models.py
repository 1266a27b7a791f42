from __future__ import annotations

from django.conf import settings
from django.db import models

from tongban.core.models import AppendOnly


class AssistanceRole(models.TextChoices):
    """帮办: staff help the applicant, who still acts; 代办: staff act on the applicant's
    behalf (the applicant's consent is what makes that lawful)."""

    HELP = "help", "帮办"
    ACT = "act", "代办"


class ConsentMethod(models.TextChoices):
    WINDOW_SIGNATURE = "window_signature", "窗口签字确认"
    PORTAL = "portal", "网上确认"


class AssistanceStep(models.TextChoices):
    """The steps of an application staff may help with or do for the applicant."""

    FILL_FORM = "fill_form", "填写申请表"
    SCAN = "scan", "扫描上传材料"
    SUBMIT = "submit", "提交申请"
    FOLLOW_UP = "follow_up", "跟踪办理进度"
    COLLECT_RESULT = "collect_result", "领取办理结果"


STEP_ORDER = tuple(AssistanceStep.values)


class AssistanceRecord(AppendOnly):
    """帮办代办记录: one staff member's help with (or acting for) one case, with the
    applicant's consent and the steps covered. Append-only: a wrong record is corrected by
    a new one, never by editing (the statistics fold them by id)."""

    append_only_rows = "assistance records"

    case = models.ForeignKey(
        "cases.Case",
        verbose_name="办件",
        on_delete=models.PROTECT,
        related_name="assistance_records",
    )
    consultation = models.ForeignKey(
        "consultations.Consultation",
        verbose_name="关联咨询",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assistance_records",
    )
    jurisdiction = models.ForeignKey(
        "regions.Jurisdiction",
        verbose_name="服务管辖地",
        on_delete=models.PROTECT,
        related_name="assistance_records",
    )
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="帮办代办人员",
        on_delete=models.PROTECT,
        related_name="+",
    )
    role = models.CharField("方式", max_length=8, choices=AssistanceRole.choices)
    steps = models.JSONField("环节", default=list)
    consent_method = models.CharField(
        "申请人同意方式", max_length=24, choices=ConsentMethod.choices
    )
    consent_at = models.DateTimeField("申请人同意时间")
    note = models.TextField("说明", blank=True)
    recorded_at = models.DateTimeField("登记时间", db_index=True)

    class Meta:
        verbose_name = "帮办代办记录"
        verbose_name_plural = "帮办代办记录"
        ordering = ["case", "recorded_at", "id"]
        indexes = [models.Index(fields=["jurisdiction", "-recorded_at"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()}#{self.pk}"

    @property
    def step_labels(self) -> list[str]:
        return [AssistanceStep(s).label for s in self.steps if s in STEP_ORDER]
