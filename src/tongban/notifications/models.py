from __future__ import annotations

from django.conf import settings
from django.db import models

from tongban.core.prepared import PreparedSaves


class OutboxMessage(PreparedSaves, models.Model):
    """A notification to an applicant, written in the same transaction as the change that
    causes it. The worker (`tongban run-worker`, notifications/worker.py) delivers it on
    every channel the applicant can be reached on, each channel at most once: see
    docs/adr/0050-notification-outbox.md for the states and why nothing is sent twice."""

    class State(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"
        IN_DOUBT = "in_doubt", "待核实"

    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    applicant = models.ForeignKey(
        "accounts.Applicant", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # a staff notification (overdue warnings, ADR 0093) goes to this user instead of the
    # applicant; the channels read the same `email` / `phone` attributes from either
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="收件职员",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    template = models.CharField("模板", max_length=64)
    context = models.JSONField("内容", default=dict)
    language = models.CharField(
        "语言", max_length=16, blank=True, help_text="空表示按申请人偏好或系统默认语言(简体中文)"
    )
    state = models.CharField(
        "状态", max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=255, blank=True)
    # the worker that is delivering the message right now ("" when none); a worker holds a
    # liveness lock under this token, so a claim left by a dead worker is recognised
    claimed_by = models.CharField("处理进程", max_length=32, blank=True, default="")
    claimed_at = models.DateTimeField("领取时间", null=True, blank=True)

    class Meta:
        verbose_name = "待发通知"
        verbose_name_plural = "待发通知"
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.template}"


class OutboxDelivery(models.Model):
    """One channel (e-mail or SMS) of one message. Its state is committed *before* each
    irreversible step, so after a crash the worker knows whether the channel may be retried
    (`sending`: nothing was handed over) or must be checked by an operator (`confirming` →
    `in_doubt`: handed over, reply lost)."""

    class Channel(models.TextChoices):
        EMAIL = "email", "电子邮件"
        SMS = "sms", "短信"

    class State(models.TextChoices):
        PENDING = "pending", "待发送"
        SENDING = "sending", "发送中"
        CONFIRMING = "confirming", "等待服务器确认"
        SENT = "sent", "已发送"
        SKIPPED = "skipped", "无此联系方式"
        FAILED = "failed", "发送失败"
        IN_DOUBT = "in_doubt", "待核实"

    message = models.ForeignKey(
        OutboxMessage, verbose_name="通知", on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField("渠道", max_length=8, choices=Channel.choices)
    state = models.CharField(
        "状态", max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    reference = models.CharField(
        "投递标识", max_length=128, help_text="电子邮件的 Message-ID / 短信的流水号,重试时不变"
    )
    worker = models.CharField("处理进程", max_length=32, blank=True, default="")
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=255, blank=True)

    class Meta:
        verbose_name = "投递记录"
        verbose_name_plural = "投递记录"
        ordering = ["message", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["message", "channel"], name="unique_delivery_channel")
        ]

    def __str__(self) -> str:
        return f"#{self.message_id} {self.channel}"
