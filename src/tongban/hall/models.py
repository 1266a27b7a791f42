"""The service hall (政务服务大厅): business lines and their ticket prefixes, appointments
(预约) and queue tickets (排队叫号). Rules live in actions.py; see ADR 0110."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class BusinessLine(models.Model):
    """A queue of a centre (业务类别) with its ticket prefix, e.g. A = 跨域通办. Windows
    listed here call its tickets; `items` routes booked items to it (empty = any item)."""

    centre = models.ForeignKey(
        "centres.ServiceCentre",
        verbose_name="政务服务中心",
        on_delete=models.CASCADE,
        related_name="business_lines",
    )
    prefix = models.CharField("号码前缀", max_length=2)
    name = models.CharField("业务类别", max_length=64)
    windows = models.ManyToManyField(
        "centres.Window", verbose_name="叫号窗口", related_name="business_lines", blank=True
    )
    items = models.ManyToManyField(
        "catalog.ServiceItem", verbose_name="事项(空=全部)", related_name="+", blank=True
    )
    position = models.PositiveSmallIntegerField("序号", default=1)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "叫号业务类别"
        verbose_name_plural = "叫号业务类别"
        ordering = ["centre", "position", "prefix"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "prefix"], name="unique_line_prefix"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} {self.name}"


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "已预约"
        CHECKED_IN = "checked_in", "已签到"
        CANCELLED = "cancelled", "已取消"
        NO_SHOW = "no_show", "爽约"

    class Channel(models.TextChoices):
        WEB = "web", "网上办事大厅"
        TERMINAL = "terminal", "自助终端"
        API = "api", "接口"

    applicant = models.ForeignKey(
        "accounts.Applicant", verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(
        "catalog.ServiceItem", verbose_name="事项", on_delete=models.PROTECT, related_name="+"
    )
    centre = models.ForeignKey(
        "centres.ServiceCentre",
        verbose_name="政务服务中心",
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    window = models.ForeignKey(
        "centres.Window", verbose_name="窗口", on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField("预约日期", db_index=True)
    starts = models.TimeField("时段开始")
    ends = models.TimeField("时段结束")
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.BOOKED, db_index=True
    )
    channel = models.CharField("预约渠道", max_length=16, choices=Channel.choices)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="预约账号",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("预约时间", auto_now_add=True)
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    reminded_at = models.DateTimeField("提醒时间", null=True, blank=True)

    class Meta:
        verbose_name = "预约"
        verbose_name_plural = "预约"
        ordering = ["day", "starts", "pk"]
        constraints = [
            # one active booking per person and item, also under concurrent bookings
            models.UniqueConstraint(
                fields=["applicant", "item"],
                condition=models.Q(status="booked"),
                name="one_active_booking_per_item",
            ),
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")), name="booking_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["window", "day", "starts"], name="booking_slot_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.starts:%H:%M} {self.item_id}"


class Ticket(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "等候中"
        CALLED = "called", "已叫号"
        DONE = "done", "已办理"
        SKIPPED = "skipped", "过号"

    class Source(models.TextChoices):
        KIOSK = "kiosk", "取号机取号"
        CHECK_IN = "check_in", "预约签到"
        API = "api", "接口"

    centre = models.ForeignKey(
        "centres.ServiceCentre",
        verbose_name="政务服务中心",
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    line = models.ForeignKey(
        BusinessLine, verbose_name="业务类别", on_delete=models.PROTECT, related_name="tickets"
    )
    day = models.DateField("日期")
    number = models.PositiveIntegerField("序号")
    code = models.CharField("号码", max_length=8)
    source = models.CharField("来源", max_length=16, choices=Source.choices)
    appointment = models.OneToOneField(
        Appointment,
        verbose_name="预约",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ticket",
    )
    # booked tickets go first while their slot runs (actions.call_next)
    slot_starts = models.TimeField("预约时段开始", null=True, blank=True)
    slot_ends = models.TimeField("预约时段结束", null=True, blank=True)
    applicant = models.ForeignKey(
        "accounts.Applicant",
        verbose_name="申请人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    item = models.ForeignKey(
        "catalog.ServiceItem",
        verbose_name="事项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.WAITING, db_index=True
    )
    # the window that called it last; `transferred_to` is set while it waits for another
    window = models.ForeignKey(
        "centres.Window",
        verbose_name="窗口",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    transferred_to = models.ForeignKey(
        "centres.Window",
        verbose_name="转至窗口",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="叫号人员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    taken_at = models.DateTimeField("取号时间")
    first_called_at = models.DateTimeField("首次叫号时间", null=True, blank=True)
    called_at = models.DateTimeField("最近叫号时间", null=True, blank=True)
    call_count = models.PositiveSmallIntegerField("叫号次数", default=0)
    finished_at = models.DateTimeField("办结时间", null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="办件",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    consultation = models.ForeignKey(
        "consultations.Consultation",
        verbose_name="咨询",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "排队号"
        verbose_name_plural = "排队号"
        ordering = ["day", "taken_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["line", "day", "number"], name="unique_ticket_number"),
        ]
        indexes = [
            models.Index(fields=["centre", "day", "status"], name="ticket_queue_idx"),
        ]

    def __str__(self) -> str:
        return self.code
