from __future__ import annotations

from django.conf import settings
from django.db import models

from tongban.catalog.models import ServiceItem


class Agreement(models.Model):
    """A cooperation agreement (合作协议) between 2..n jurisdictions. Versions share a code;
    an active version is frozen, a change is a new draft that supersedes it on activation."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        ACTIVE = "active", "生效"
        SUSPENDED = "suspended", "暂停"
        EXPIRED = "expired", "已到期"
        SUPERSEDED = "superseded", "已被新版本替代"

    code = models.CharField("协议编号", max_length=64)
    version = models.PositiveIntegerField("版本", default=1)
    title = models.CharField("协议名称", max_length=255)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    signed_on = models.DateField("签署日期", null=True, blank=True)
    valid_from = models.DateField("生效日期")
    valid_to = models.DateField("到期日期", null=True, blank=True)
    supersedes = models.ForeignKey(
        "self",
        verbose_name="替代的版本",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField("备注", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "合作协议"
        verbose_name_plural = "合作协议"
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="unique_agreement_version"),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(status="draft"),
                name="one_draft_agreement_version",
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(status__in=["active", "suspended"]),
                name="one_current_agreement_version",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="agreement_valid_to_after_valid_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class AgreementParty(models.Model):
    agreement = models.ForeignKey(
        Agreement, verbose_name="协议", on_delete=models.CASCADE, related_name="parties"
    )
    jurisdiction = models.ForeignKey(
        "regions.Jurisdiction",
        verbose_name="管辖地",
        on_delete=models.PROTECT,
        related_name="agreement_parties",
    )
    signatory = models.CharField("签约单位", max_length=128, blank=True)
    liaison_name = models.CharField("联络人", max_length=64, blank=True)
    liaison_phone = models.CharField("联络电话", max_length=32, blank=True)

    class Meta:
        verbose_name = "协议成员"
        verbose_name_plural = "协议成员"
        constraints = [
            models.UniqueConstraint(fields=["agreement", "jurisdiction"], name="unique_party")
        ]

    def __str__(self) -> str:
        return str(self.jurisdiction)


class AgreementItem(models.Model):
    """An item the agreement opens, the modes allowed, and the directions: which parties
    may receive it and which may handle it (empty = every party)."""

    agreement = models.ForeignKey(
        Agreement, verbose_name="协议", on_delete=models.CASCADE, related_name="items"
    )
    item = models.ForeignKey(
        ServiceItem, verbose_name="事项", on_delete=models.PROTECT, related_name="agreement_items"
    )
    modes = models.JSONField("通办模式", default=list)
    receiving_jurisdictions = models.ManyToManyField(
        "regions.Jurisdiction",
        verbose_name="可收件方(空=全部成员)",
        blank=True,
        related_name="+",
    )
    handling_jurisdictions = models.ManyToManyField(
        "regions.Jurisdiction",
        verbose_name="可办理方(空=全部成员)",
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "协议事项"
        verbose_name_plural = "协议事项"
        constraints = [
            models.UniqueConstraint(fields=["agreement", "item"], name="unique_agreement_item")
        ]

    def __str__(self) -> str:
        return str(self.item)


class AgreementEvent(models.Model):
    """Version history of an agreement: created, activated, suspended, superseded..."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="events", verbose_name="协议"
    )
    at = models.DateTimeField("时间", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="操作人",
    )
    action = models.CharField("操作", max_length=32)
    note = models.CharField("说明", max_length=255, blank=True)

    class Meta:
        verbose_name = "协议变更记录"
        verbose_name_plural = "协议变更记录"
        ordering = ["at", "id"]
