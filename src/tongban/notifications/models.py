from __future__ import annotations

from django.db import models


class OutboxMessage(models.Model):
    """A notification to an applicant, written in the same transaction as the change that
    causes it. A worker delivers it later (at-least-once, de-duplicated by id)."""

    class State(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"

    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    applicant = models.ForeignKey(
        "accounts.Applicant", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    template = models.CharField("模板", max_length=64)
    context = models.JSONField("内容", default=dict)
    state = models.CharField(
        "状态", max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=255, blank=True)

    class Meta:
        verbose_name = "待发通知"
        verbose_name_plural = "待发通知"
        ordering = ["created_at", "id"]
