"""Pre-computed statistics (docs/adr/0060-statistics-and-ratings.md).

Facts: one row per case / consultation / rating, maintained from the append-only event
tables by id watermark. Counts: additive aggregates of the facts, upserted with deltas
(old contribution out, new contribution in) so a refresh touches only what changed.
Dimension columns are plain integers with 0 meaning "none" (an online case has no
receiving jurisdiction) so that they can be part of a unique key on every database.
Nothing here is written by anything but stats.refresh; every read goes through
stats.selectors."""

from __future__ import annotations

from django.db import models


class Cursor(models.Model):
    """Id watermark of one event table. `pending` holds ids below the watermark that were
    missing when it advanced (a transaction still in flight, or rolled back) and are looked
    for again until they appear or expire."""

    name = models.CharField(max_length=32, primary_key=True)
    last_id = models.BigIntegerField(default=0)
    pending = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "统计游标"
        verbose_name_plural = "统计游标"

    def __str__(self) -> str:
        return f"{self.name}@{self.last_id}"


class CaseFact(models.Model):
    """One row per case, folded from its CaseEvents plus the case's fixed attributes."""

    case = models.OneToOneField(
        "cases.Case", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField("收件月份")
    receiving_id = models.BigIntegerField("收件地", default=0)
    handling_id = models.BigIntegerField("办理地")
    item_id = models.BigIntegerField("事项")
    agreement_id = models.BigIntegerField("协议", default=0)
    department_kind = models.CharField("部门类别", max_length=32)
    mode = models.CharField("通办模式", max_length=8)
    channel = models.CharField("渠道", max_length=8)
    high_frequency = models.BooleanField("高频事项")
    is_part = models.BooleanField("联办子件", default=False)
    status = models.CharField("状态", max_length=32)
    last_seq = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField()
    transferred_at = models.DateTimeField(null=True)
    accepted_at = models.DateTimeField(null=True)
    decided_at = models.DateTimeField(null=True)
    delivered_at = models.DateTimeField(null=True)
    completed_at = models.DateTimeField(null=True)
    due_date = models.DateField(null=True)

    class Meta:
        verbose_name = "办件统计事实"
        verbose_name_plural = "办件统计事实"
        indexes = [
            models.Index(fields=["receiving_id", "month"]),
            models.Index(fields=["handling_id", "month"]),
            models.Index(fields=["agreement_id", "month"]),
        ]


CASE_DIMENSIONS = (
    "month",
    "receiving_id",
    "handling_id",
    "item_id",
    "agreement_id",
    "department_kind",
    "mode",
    "channel",
    "status",
    "high_frequency",
)
# additive measures; *_n counts the cases that have the leg, *_s sums its seconds
CASE_MEASURES = (
    "cases",
    "decided",
    "on_time",
    "completed",
    "receipt_n",
    "receipt_s",
    "transfer_n",
    "transfer_s",
    "review_n",
    "review_s",
    "delivery_n",
    "delivery_s",
    "total_n",
    "total_s",
)


class CaseCount(models.Model):
    month = models.DateField()
    receiving_id = models.BigIntegerField(default=0)
    handling_id = models.BigIntegerField()
    item_id = models.BigIntegerField()
    agreement_id = models.BigIntegerField(default=0)
    department_kind = models.CharField(max_length=32)
    mode = models.CharField(max_length=8)
    channel = models.CharField(max_length=8)
    status = models.CharField(max_length=32)
    high_frequency = models.BooleanField()
    cases = models.BigIntegerField(default=0)
    decided = models.BigIntegerField(default=0)
    on_time = models.BigIntegerField(default=0)
    completed = models.BigIntegerField(default=0)
    receipt_n = models.BigIntegerField(default=0)
    receipt_s = models.BigIntegerField(default=0)
    transfer_n = models.BigIntegerField(default=0)
    transfer_s = models.BigIntegerField(default=0)
    review_n = models.BigIntegerField(default=0)
    review_s = models.BigIntegerField(default=0)
    delivery_n = models.BigIntegerField(default=0)
    delivery_s = models.BigIntegerField(default=0)
    total_n = models.BigIntegerField(default=0)
    total_s = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "办件统计"
        verbose_name_plural = "办件统计"
        constraints = [models.UniqueConstraint(fields=list(CASE_DIMENSIONS), name="case_count_key")]
        indexes = [
            models.Index(fields=["receiving_id", "month"]),
            models.Index(fields=["handling_id", "month"]),
            models.Index(fields=["agreement_id", "month"]),
        ]


# Roll-ups of CaseCount for the dashboard: the same measures over fewer dimensions, kept
# by the refresh job with the same deltas (projected onto their keys). A dashboard query
# that needs neither the item nor the department reads CaseFlowCount (≈ a few hundred
# rows a month instead of one per month × place pair × item × …); an unscoped one by item
# reads CaseItemCount. docs/adr/0080-dashboard.md.
FLOW_DIMENSIONS = (
    "month",
    "receiving_id",
    "handling_id",
    "agreement_id",
    "mode",
    "channel",
    "status",
    "high_frequency",
)
ITEM_DIMENSIONS = (
    "month",
    "item_id",
    "department_kind",
    "mode",
    "channel",
    "status",
    "high_frequency",
)


class CaseMeasures(models.Model):
    cases = models.BigIntegerField(default=0)
    decided = models.BigIntegerField(default=0)
    on_time = models.BigIntegerField(default=0)
    completed = models.BigIntegerField(default=0)
    receipt_n = models.BigIntegerField(default=0)
    receipt_s = models.BigIntegerField(default=0)
    transfer_n = models.BigIntegerField(default=0)
    transfer_s = models.BigIntegerField(default=0)
    review_n = models.BigIntegerField(default=0)
    review_s = models.BigIntegerField(default=0)
    delivery_n = models.BigIntegerField(default=0)
    delivery_s = models.BigIntegerField(default=0)
    total_n = models.BigIntegerField(default=0)
    total_s = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


MONTH_DIMENSIONS = ("month", "mode", "channel", "status", "high_frequency")


class CaseMonthCount(CaseMeasures):
    """CaseCount with neither places nor item: the platform-wide figures by month, mode,
    channel and status (a few hundred rows a year)."""

    month = models.DateField()
    mode = models.CharField(max_length=8)
    channel = models.CharField(max_length=8)
    status = models.CharField(max_length=32)
    high_frequency = models.BooleanField()

    class Meta:
        verbose_name = "办件统计(按月汇总)"
        verbose_name_plural = "办件统计(按月汇总)"
        constraints = [
            models.UniqueConstraint(fields=list(MONTH_DIMENSIONS), name="case_month_key")
        ]


class CaseFlowCount(CaseMeasures):
    """CaseCount without the item and the department: places, agreement, mode, channel,
    status, high-frequency flag."""

    month = models.DateField()
    receiving_id = models.BigIntegerField(default=0)
    handling_id = models.BigIntegerField()
    agreement_id = models.BigIntegerField(default=0)
    mode = models.CharField(max_length=8)
    channel = models.CharField(max_length=8)
    status = models.CharField(max_length=32)
    high_frequency = models.BooleanField()

    class Meta:
        verbose_name = "办件统计(按地区汇总)"
        verbose_name_plural = "办件统计(按地区汇总)"
        constraints = [models.UniqueConstraint(fields=list(FLOW_DIMENSIONS), name="case_flow_key")]
        indexes = [
            models.Index(fields=["receiving_id", "month"]),
            models.Index(fields=["handling_id", "month"]),
            models.Index(fields=["agreement_id", "month"]),
        ]


class CaseItemCount(CaseMeasures):
    """CaseCount without the places and the agreement: for figures by item over every
    jurisdiction (platform admins)."""

    month = models.DateField()
    item_id = models.BigIntegerField()
    department_kind = models.CharField(max_length=32)
    mode = models.CharField(max_length=8)
    channel = models.CharField(max_length=8)
    status = models.CharField(max_length=32)
    high_frequency = models.BooleanField()

    class Meta:
        verbose_name = "办件统计(按事项汇总)"
        verbose_name_plural = "办件统计(按事项汇总)"
        constraints = [models.UniqueConstraint(fields=list(ITEM_DIMENSIONS), name="case_item_key")]


LEG_ITEM_DIMENSIONS = (
    "month",
    "jurisdiction_id",
    "leg",
    "item_id",
    "department_kind",
    "mode",
    "channel",
    "status",
    "high_frequency",
)


class CaseLegItemCount(CaseMeasures):
    """CaseCount by one jurisdiction and its leg instead of the place pair: a case counts
    once for its receiving place (leg `receiving`) and once for its handling place
    (`handling`), or once with leg `both` when the two are the same. Figures by item for
    one jurisdiction (a supervisor's dashboard) read a few thousand rows here instead of
    every pair's rows in CaseCount."""

    month = models.DateField()
    jurisdiction_id = models.BigIntegerField()
    leg = models.CharField(max_length=10)
    item_id = models.BigIntegerField()
    department_kind = models.CharField(max_length=32)
    mode = models.CharField(max_length=8)
    channel = models.CharField(max_length=8)
    status = models.CharField(max_length=32)
    high_frequency = models.BooleanField()

    class Meta:
        verbose_name = "办件统计(按管辖地与事项汇总)"
        verbose_name_plural = "办件统计(按管辖地与事项汇总)"
        constraints = [
            models.UniqueConstraint(fields=list(LEG_ITEM_DIMENSIONS), name="case_leg_item_key")
        ]
        # covering: the dashboard's "cases by item" of one jurisdiction is an index-only
        # scan (its rows are scattered over the table, one heap page each otherwise)
        indexes = [
            models.Index(
                fields=["jurisdiction_id", "month"],
                include=["leg", "item_id", "high_frequency", "cases"],
                name="case_leg_item_by_place",
            )
        ]


class ConsultationFact(models.Model):
    consultation = models.OneToOneField(
        "consultations.Consultation", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField()
    jurisdiction_id = models.BigIntegerField()
    forwarded_to_id = models.BigIntegerField(default=0)
    item_id = models.BigIntegerField(default=0)
    high_frequency = models.BooleanField(default=False)
    channel = models.CharField(max_length=16)
    status = models.CharField(max_length=16)
    answered = models.BooleanField(default=False)
    answer_s = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "咨询统计事实"
        verbose_name_plural = "咨询统计事实"


CONSULTATION_DIMENSIONS = (
    "month",
    "jurisdiction_id",
    "forwarded_to_id",
    "item_id",
    "high_frequency",
    "channel",
    "status",
)
CONSULTATION_MEASURES = ("consultations", "forwarded", "answered", "answer_s")


class ConsultationCount(models.Model):
    month = models.DateField()
    jurisdiction_id = models.BigIntegerField()
    forwarded_to_id = models.BigIntegerField(default=0)
    item_id = models.BigIntegerField(default=0)
    high_frequency = models.BooleanField(default=False)
    channel = models.CharField(max_length=16)
    status = models.CharField(max_length=16)
    consultations = models.BigIntegerField(default=0)
    forwarded = models.BigIntegerField(default=0)
    answered = models.BigIntegerField(default=0)
    answer_s = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "咨询统计"
        verbose_name_plural = "咨询统计"
        constraints = [
            models.UniqueConstraint(
                fields=list(CONSULTATION_DIMENSIONS), name="consultation_count_key"
            )
        ]
        indexes = [
            models.Index(fields=["jurisdiction_id", "month"]),
            models.Index(fields=["forwarded_to_id", "month"]),
        ]


class RatingFact(models.Model):
    rating = models.OneToOneField(
        "ratings.Rating", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField()
    receiving_id = models.BigIntegerField(default=0)
    handling_id = models.BigIntegerField()
    target_id = models.BigIntegerField()
    item_id = models.BigIntegerField()
    agreement_id = models.BigIntegerField(default=0)
    channel_kind = models.CharField(max_length=16)
    level = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16)
    task_status = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = "评价统计事实"
        verbose_name_plural = "评价统计事实"


RATING_DIMENSIONS = (
    "month",
    "receiving_id",
    "handling_id",
    "target_id",
    "item_id",
    "agreement_id",
    "channel_kind",
    "level",
    "status",
    "task_status",
)
RATING_MEASURES = ("ratings",)


class RatingCount(models.Model):
    month = models.DateField()
    receiving_id = models.BigIntegerField(default=0)
    handling_id = models.BigIntegerField()
    target_id = models.BigIntegerField()
    item_id = models.BigIntegerField()
    agreement_id = models.BigIntegerField(default=0)
    channel_kind = models.CharField(max_length=16)
    level = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16)
    task_status = models.CharField(max_length=16, blank=True)
    ratings = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "评价统计"
        verbose_name_plural = "评价统计"
        constraints = [
            models.UniqueConstraint(fields=list(RATING_DIMENSIONS), name="rating_count_key")
        ]
        indexes = [
            models.Index(fields=["receiving_id", "month"]),
            models.Index(fields=["handling_id", "month"]),
            models.Index(fields=["target_id", "month"]),
        ]


class HistoryImport(models.Model):
    """A synthetic history written by `tongban seed-history` (its cases are numbered
    `SYN-...` and their events carry data.synthetic = true)."""

    year = models.PositiveSmallIntegerField("年份")
    scale = models.FloatField("比例", default=1.0)
    seed = models.IntegerField("随机种子", default=0)
    cases = models.PositiveIntegerField("办件数", default=0)
    consultations = models.PositiveIntegerField("咨询数", default=0)
    ratings = models.PositiveIntegerField("评价数", default=0)
    first_case_id = models.BigIntegerField(null=True)
    last_case_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "合成历史数据"
        verbose_name_plural = "合成历史数据"
        constraints = [models.UniqueConstraint(fields=["year"], name="one_history_per_year")]

    def __str__(self) -> str:
        return f"{self.year} ×{self.scale}"


# 帮办代办: records are append-only, so they are folded straight into the counts by id
# (no fact table: a record never changes once counted)
ASSISTANCE_DIMENSIONS = (
    "month",
    "jurisdiction_id",
    "handling_id",
    "item_id",
    "role",
    "consent_method",
)
ASSISTANCE_STEPS = ("fill_form", "scan", "submit", "follow_up", "collect_result")
ASSISTANCE_MEASURES = ("records", *ASSISTANCE_STEPS)


class AssistanceCount(models.Model):
    """帮办代办 records per month, serving jurisdiction (the helper's), handling place,
    item, role (帮办 / 代办) and consent method, with how many covered each step."""

    month = models.DateField()
    jurisdiction_id = models.BigIntegerField()
    handling_id = models.BigIntegerField()
    item_id = models.BigIntegerField()
    role = models.CharField(max_length=8)
    consent_method = models.CharField(max_length=24)
    records = models.BigIntegerField(default=0)
    fill_form = models.BigIntegerField(default=0)
    scan = models.BigIntegerField(default=0)
    submit = models.BigIntegerField(default=0)
    follow_up = models.BigIntegerField(default=0)
    collect_result = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "帮办代办统计"
        verbose_name_plural = "帮办代办统计"
        constraints = [
            models.UniqueConstraint(fields=list(ASSISTANCE_DIMENSIONS), name="assistance_count_key")
        ]
        indexes = [
            models.Index(fields=["jurisdiction_id", "month"]),
            models.Index(fields=["handling_id", "month"]),
        ]


class HallQueueCount(models.Model):
    """Queue tickets (排队叫号) of one centre and day, per serving window, business line and
    hour the ticket was taken (Asia/Shanghai). Rebuilt per (centre, day) from the tickets
    whenever a hall audit row touches that day (stats/hall.py)."""

    month = models.DateField()
    day = models.DateField()
    jurisdiction_id = models.BigIntegerField()
    centre_id = models.BigIntegerField()
    window_id = models.BigIntegerField()  # 0: not called (yet)
    line_id = models.BigIntegerField()
    hour = models.PositiveSmallIntegerField()
    tickets = models.BigIntegerField(default=0)
    booked = models.BigIntegerField(default=0)
    called = models.BigIntegerField(default=0)
    served = models.BigIntegerField(default=0)
    skipped = models.BigIntegerField(default=0)
    wait_seconds = models.BigIntegerField(default=0)  # taken → first call, of `called`
    service_seconds = models.BigIntegerField(default=0)  # first call → done, of `served`

    class Meta:
        verbose_name = "排队叫号统计"
        verbose_name_plural = "排队叫号统计"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "centre_id", "window_id", "line_id", "hour"],
                name="hall_queue_count_key",
            )
        ]
        indexes = [models.Index(fields=["jurisdiction_id", "month"])]


class HallBookingCount(models.Model):
    """Appointments (预约) of one centre, day and item: booked, kept (checked in), missed
    (no-show), cancelled."""

    month = models.DateField()
    day = models.DateField()
    jurisdiction_id = models.BigIntegerField()
    centre_id = models.BigIntegerField()
    item_id = models.BigIntegerField()
    bookings = models.BigIntegerField(default=0)
    kept = models.BigIntegerField(default=0)
    missed = models.BigIntegerField(default=0)
    cancelled = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "预约统计"
        verbose_name_plural = "预约统计"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "centre_id", "item_id"], name="hall_booking_count_key"
            )
        ]
        indexes = [models.Index(fields=["jurisdiction_id", "month"])]
