from __future__ import annotations

from django.db import models


class ServiceCentre(models.Model):
    jurisdiction = models.ForeignKey(
        "regions.Jurisdiction",
        verbose_name="管辖地",
        on_delete=models.PROTECT,
        related_name="service_centres",
    )
    name = models.CharField("名称", max_length=128)
    address = models.CharField("地址", max_length=255)
    phone = models.CharField("咨询电话", max_length=32, blank=True)
    opening_hours = models.CharField(
        "办公时间", max_length=255, help_text="例如:周一至周五 9:00-12:00, 13:30-17:30"
    )
    extended_hours = models.CharField(
        "错时延时服务", max_length=255, blank=True, help_text="例如:周六 9:00-12:00 预约办理"
    )

    class Meta:
        verbose_name = "政务服务中心"
        verbose_name_plural = "政务服务中心"

    def __str__(self) -> str:
        return self.name


class Window(models.Model):
    class Kind(models.TextChoices):
        DEDICATED = "dedicated", "跨域通办专窗"
        FALLBACK = "fallback", "兜底窗口"
        TERMINAL = "terminal", "自助终端"
        ONLINE = "online", "网上办事"

    centre = models.ForeignKey(
        ServiceCentre,
        verbose_name="政务服务中心",
        on_delete=models.CASCADE,
        related_name="windows",
    )
    code = models.CharField("窗口编号", max_length=32)
    name = models.CharField("名称", max_length=128)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "窗口"
        verbose_name_plural = "窗口"
        constraints = [
            models.UniqueConstraint(fields=["centre", "code"], name="unique_window_code")
        ]

    def __str__(self) -> str:
        return f"{self.centre.name} {self.name}"
