from __future__ import annotations

from django.conf import settings
from django.db import models

from tongban.core.fields import EncryptedTextField
from tongban.core.models import AppendOnly


class ConsultationChannel(models.TextChoices):
    WINDOW = "window", "窗口"
    HOTLINE = "hotline", "热线电话"
    ONLINE = "online", "网上咨询"
    TERMINAL = "terminal", "自助终端"


class Consultation(models.Model):
    """咨询: one question asked of a service centre. The jurisdiction first asked owns it
    (首问负责) until it is closed, even when it is forwarded to another jurisdiction for the
    answer; every change appends a ConsultationEvent."""

    class Status(models.TextChoices):
        OPEN = "open", "待答复"
        FORWARDED = "forwarded", "已转办"
        ANSWERED = "answered", "已答复"
        CLOSED = "closed", "已办结"

    channel = models.CharField("咨询渠道", max_length=16, choices=ConsultationChannel.choices)
    jurisdiction = models.ForeignKey(
        "regions.Jurisdiction",
        verbose_name="首问管辖地",
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    forwarded_to = models.ForeignKey(
        "regions.Jurisdiction",
        verbose_name="转办至",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="forwarded_consultations",
    )
    item = models.ForeignKey(
        "catalog.ServiceItem",
        verbose_name="事项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    topic = models.CharField("主题", max_length=128)
    question = models.TextField("咨询内容")
    answer = models.TextField("答复内容", blank=True)
    applicant = models.ForeignKey(
        "accounts.Applicant",
        verbose_name="咨询人(申请人)",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consultations",
    )
    asker_name = models.CharField("咨询人", max_length=64, blank=True)
    asker_phone = EncryptedTextField("联系电话", plain_max_length=20, blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    asked_at = models.DateTimeField("咨询时间", db_index=True)
    forwarded_at = models.DateTimeField("转办时间", null=True, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_in = models.ForeignKey(
        "regions.Jurisdiction",
        verbose_name="答复管辖地",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    event_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "咨询"
        verbose_name_plural = "咨询"
        ordering = ["-asked_at", "-id"]
        indexes = [
            models.Index(fields=["jurisdiction", "status", "-asked_at"]),
            models.Index(fields=["forwarded_to", "status", "-asked_at"]),
        ]

    def __str__(self) -> str:
        return f"咨询#{self.pk} {self.topic}"


class ConsultationEvent(AppendOnly):
    """Append-only history of a consultation: record, forward, answer, close. The statistics
    job reads it by id watermark."""

    append_only_rows = "consultation events"

    class Action(models.TextChoices):
        RECORD = "record", "登记"
        FORWARD = "forward", "转办"
        ANSWER = "answer", "答复"
        CLOSE = "close", "办结"

    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, related_name="events", verbose_name="咨询"
    )
    seq = models.PositiveIntegerField("序号")
    action = models.CharField("动作", max_length=16, choices=Action.choices)
    from_status = models.CharField("原状态", max_length=16, blank=True)
    to_status = models.CharField("新状态", max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="操作人",
    )
    actor_jurisdiction = models.ForeignKey(
        "regions.Jurisdiction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="操作地",
    )
    at = models.DateTimeField("时间")
    note = models.TextField("说明", blank=True)
    data = models.JSONField("数据", default=dict, blank=True)

    class Meta:
        verbose_name = "咨询记录"
        verbose_name_plural = "咨询记录"
        ordering = ["consultation", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "seq"], name="unique_consultation_event_seq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id}#{self.seq} {self.action}"
