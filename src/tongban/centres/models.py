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
    slot_capacity = models.PositiveSmallIntegerField(
        "每时段预约数", default=2, help_text="每个预约时段该窗口可接受的预约人数;0 表示不接受预约"
    )

    class Meta:
        verbose_name = "窗口"
        verbose_name_plural = "窗口"
        constraints = [
            models.UniqueConstraint(fields=["centre", "code"], name="unique_window_code")
        ]

    def __str__(self) -> str:
        return f"{self.centre.name} {self.name}"


class OpeningHours(models.Model):
    """One period of a weekday in which a centre (or one of its windows) serves. Regular
    hours apply on working days of the jurisdiction's calendar (a 调休 Saturday takes
    Monday's hours); 错时延时 periods add lunch and evening service to working days and
    weekend service to ordinary weekends; holiday breaks close the hall (centres/hours.py).
    Rows of a window replace the centre's rows for that window."""

    class Kind(models.TextChoices):
        REGULAR = "regular", "正常办公"
        LUNCH = "lunch", "午间延时"
        EVENING = "evening", "晚间延时"
        WEEKEND = "weekend", "周末延时"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "周一"
        TUESDAY = 1, "周二"
        WEDNESDAY = 2, "周三"
        THURSDAY = 3, "周四"
        FRIDAY = 4, "周五"
        SATURDAY = 5, "周六"
        SUNDAY = 6, "周日"

    centre = models.ForeignKey(
        ServiceCentre,
        verbose_name="政务服务中心",
        on_delete=models.CASCADE,
        related_name="hours",
    )
    window = models.ForeignKey(
        Window,
        verbose_name="窗口(空=全中心)",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="hours",
    )
    weekday = models.PositiveSmallIntegerField("星期", choices=Weekday.choices)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices, default=Kind.REGULAR)
    opens = models.TimeField("开始")
    closes = models.TimeField("结束")

    class Meta:
        verbose_name = "办公时间"
        verbose_name_plural = "办公时间"
        ordering = ["centre", "window", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="hours_close_after_open"
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="hours_weekday_in_week"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="weekend") | models.Q(weekday__gte=5),
                name="weekend_hours_on_weekends",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M} "
            f"{self.get_kind_display()}"
        )
