from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_noop

from tongban.catalog.models import Channel, DeliveryMethod, Mode
from tongban.core.chain import link_digest, timestamp
from tongban.core.fields import EncryptedJSONField, EncryptedTextField
from tongban.core.loading import QuickLoading
from tongban.core.models import SequenceChained
from tongban.core.prepared import PreparedSaves


class Status(models.TextChoices):
    """Case states. The allowed moves between them are the table in cases/workflow.py."""

    RECEIVED = "received", gettext_noop("已收件")
    SUPPLEMENT_AT_RECEIPT = "supplement_at_receipt", gettext_noop("收件待补正")
    CHECKED = "checked", gettext_noop("已形式审查")
    IN_TRANSFER = "in_transfer", gettext_noop("材料流转中")
    PENDING_ACCEPTANCE = "pending_acceptance", gettext_noop("待受理")
    SUPPLEMENT_BEFORE_ACCEPTANCE = "supplement_before_acceptance", gettext_noop("受理前待补正")
    ACCEPTED = "accepted", gettext_noop("已受理(审查中)")
    ACCEPTED_CONDITIONALLY = "accepted_conditionally", gettext_noop("容缺受理")
    SUPPLEMENT_IN_REVIEW = "supplement_in_review", gettext_noop("审查中待补正")
    PAUSED = "paused", gettext_noop("特别程序(暂停计时)")
    APPROVED = "approved", gettext_noop("准予许可")
    DENIED = "denied", gettext_noop("不予许可")
    RESULT_ISSUED = "result_issued", gettext_noop("已出证")
    IN_DELIVERY = "in_delivery", gettext_noop("结果寄递中")
    TO_WINDOW = "to_window", gettext_noop("结果送往收件窗口")
    AWAITING_PICKUP = "awaiting_pickup", gettext_noop("待窗口领取")
    DELIVERED = "delivered", gettext_noop("已送达")
    COMPLETED = "completed", gettext_noop("已办结")
    REFUSED = "refused", gettext_noop("不予受理")
    WITHDRAWN = "withdrawn", gettext_noop("已撤回")
    TERMINATED = "terminated", gettext_noop("已终止")


# What the queue's filters read of an open case besides the order (received_at, id): the
# scope (places, own applicant, submitter), the states, the item and the deadline levels.
# The open cases' index carries them (ADR 0151); a filter on another column would make
# the queue read the table again.
OPEN_QUEUE_COLUMNS = [
    "handling_jurisdiction",
    "receiving_jurisdiction",
    "applicant",
    "submitted_by",
    "status",
    "item",
    "warn_on",
    "overdue_on",
    "warn_at",
    "overdue_at",
]


class Case(QuickLoading, PreparedSaves, models.Model):
    """办件: one application for one item, from receipt to the delivered result."""

    number = models.CharField("办件编号", max_length=32, unique=True)
    item = models.ForeignKey(
        "catalog.ServiceItem", verbose_name="事项", on_delete=models.PROTECT, related_name="cases"
    )
    implementation = models.ForeignKey(
        "catalog.ItemImplementation",
        verbose_name="实施清单版本",
        on_delete=models.PROTECT,
        related_name="cases",
    )
    mode = models.CharField("通办模式", max_length=8, choices=Mode.choices)
    channel = models.CharField("受理渠道", max_length=8, choices=Channel.choices)
    receiving_jurisdiction = models.ForeignKey(
        "regions.Jurisdiction",
        verbose_name="收件地",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="received_cases",
        help_text="全程网办无收件地",
        # led by the two (receiving_jurisdiction, …) indexes of Meta: a third, of this
        # column alone, would only cost every move's UPDATE (ADR 0145)
        db_index=False,
    )
    receiving_window = models.ForeignKey(
        "centres.Window",
        verbose_name="收件窗口",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    handling_jurisdiction = models.ForeignKey(
        "regions.Jurisdiction",
        verbose_name="办理地",
        on_delete=models.PROTECT,
        related_name="handled_cases",
        db_index=False,  # led by the (handling_jurisdiction, …) indexes of Meta
    )
    agreement = models.ForeignKey(
        "agreements.Agreement",
        verbose_name="依据协议",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="联办主件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subcases",
    )
    joint_parts = models.JSONField(
        "联办部分",
        default=list,
        blank=True,
        help_text="多地联办: [{jurisdiction, item}],主件受理时生成子件",
    )
    bundle = models.ForeignKey(
        "catalog.ItemBundle",
        verbose_name="一件事",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # names the legal representative and investors with their ID numbers (ADR 0098)
    form_data = EncryptedJSONField(
        "申请表",
        default=dict,
        blank=True,
        help_text="事项的结构化申请表,按 ServiceItem.form_kind 校验(cases/application_forms.py)",
    )
    applicant = models.ForeignKey(
        "accounts.Applicant",
        verbose_name="申请人",
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,  # led by the (applicant, -received_at) index of Meta
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        on_delete=models.PROTECT,
        related_name="submitted_cases",
    )
    # set by tongban.assistance.actions.record_assistance when the first 帮办代办 record
    # is written; never by a plain receipt (the records say who, how and with what consent)
    assisted = models.BooleanField("帮办代办", default=False)
    # no index of its own (nor PostgreSQL's LIKE twin): every move changes the status, and
    # (status, -received_at, -id) of Meta serves every question about it (ADR 0145)
    status = models.CharField("状态", max_length=32, choices=Status.choices)
    practice_code = models.PositiveSmallIntegerField("办件状态代码", default=1)
    delivery_method = models.CharField(
        "结果送达方式", max_length=16, choices=DeliveryMethod.choices
    )
    delivery_address = EncryptedTextField("寄递地址", plain_max_length=255, blank=True)

    # no index of its own: (-received_at, -id) of Meta serves both directions
    received_at = models.DateTimeField("收件时间")
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    decided_at = models.DateTimeField("办结决定时间", null=True, blank=True)
    completed_at = models.DateTimeField("办结时间", null=True, blank=True)

    # the clock: promised working days counted on the handling place's calendar
    promised_days = models.PositiveSmallIntegerField("承诺时限(工作日)")
    statutory_days = models.PositiveSmallIntegerField("法定时限(工作日)")
    extension_days = models.PositiveSmallIntegerField("延期(工作日)", default=0)
    clock_start = models.DateField("计时起算日", null=True, blank=True)
    # 即办件 (ADR 0093): a limit in working hours instead of working days
    promised_hours = models.PositiveSmallIntegerField("即办件时限(小时)", null=True, blank=True)
    clock_started_at = models.DateTimeField("计时起算时间", null=True, blank=True)
    due_at = models.DateTimeField("即办件办结时间", null=True, blank=True)
    warn_at = models.DateTimeField("即办件预警时间", null=True, blank=True)
    overdue_at = models.DateTimeField("即办件超期时间", null=True, blank=True)
    paused_working_days = models.PositiveSmallIntegerField("暂停计时(工作日)", default=0)
    paused_on = models.DateField("暂停日期", null=True, blank=True)
    due_date = models.DateField("承诺办结日期", null=True, blank=True)
    step_due_date = models.DateField("当前环节期限", null=True, blank=True)
    # derived from the two dates above at every transition so queues filter and sort on
    # plain indexed columns: yellow from warn_on, red after overdue_on
    warn_on = models.DateField("预警日期", null=True, blank=True)
    overdue_on = models.DateField("超期日期", null=True, blank=True)
    commitment_due = models.DateField("容缺补齐期限", null=True, blank=True)
    supplement_due = models.DateField("补正期限", null=True, blank=True)

    pickup_code_hash = models.CharField(max_length=64, blank=True)
    refusal_reason = models.TextField("不予受理理由", blank=True)
    competent_authority = models.CharField("有权机关", max_length=255, blank=True)
    event_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "办件"
        verbose_name_plural = "办件"
        indexes = [
            models.Index(fields=["handling_jurisdiction", "status", "overdue_on"]),
            models.Index(fields=["receiving_jurisdiction", "status", "overdue_on"]),
            models.Index(fields=["handling_jurisdiction", "-received_at", "-id"]),
            models.Index(fields=["receiving_jurisdiction", "-received_at", "-id"]),
            models.Index(fields=["-received_at", "-id"]),
            models.Index(fields=["applicant", "-received_at"]),
            # the queue by due date (ordering=due) walks this in order: without it
            # PostgreSQL sorted every case in scope, 1.5 s at 1M cases (ADR 0131)
            models.Index(fields=["overdue_on", "id"], name="cases_case_due_order_idx"),
            # the queue of overdue (red) cases walks this in order: only the open cases
            # carry a limit, so it skips the ended ones that the received_at index made it
            # read and discard (13,657 rows for a page at 50,000 cases, ADR 0139). It
            # carries every column the queue's filters read, so that the walk past the
            # newer cases that are not yet red reads no table row (ADR 0151: 10,586 of
            # them for a page at 1M cases); PostgreSQL only, SQLite ignores `include`.
            models.Index(
                fields=["-received_at", "-id"],
                condition=models.Q(overdue_on__isnull=False) | models.Q(overdue_at__isnull=False),
                include=OPEN_QUEUE_COLUMNS,
                name="cases_case_open_recv_idx",
            ),
            # the queue of one state (status=accepted) walks this in order and stops after
            # a page, instead of joining every case of the state to its applicant and
            # sorting them (ADR 0139)
            models.Index(
                fields=["status", "-received_at", "-id"], name="cases_case_status_recv_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CaseMaterial(models.Model):
    class State(models.TextChoices):
        PROVIDED = "provided", gettext_noop("已提交")
        MISSING = "missing", gettext_noop("缺失")
        DEFERRED = "deferred", gettext_noop("容缺后补")
        BY_LICENCE = "by_licence", gettext_noop("电子证照免提交")
        NOT_APPLICABLE = "not_applicable", gettext_noop("不适用")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(
        "catalog.Material", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("材料名称", max_length=128)
    state = models.CharField("状态", max_length=16, choices=State.choices)
    original_required = models.BooleanField("需原件", default=False)
    original_posted = models.BooleanField("原件已寄出", default=False)
    licence_reference = models.CharField("引用电子证照", max_length=128, blank=True)
    note = models.CharField("备注", max_length=255, blank=True)

    class Meta:
        verbose_name = "办件材料"
        verbose_name_plural = "办件材料"
        ordering = ["case", "id"]

    def __str__(self) -> str:
        return self.name


class CaseEvent(QuickLoading, PreparedSaves, SequenceChained):
    """Immutable: one row per transition. Never updated or deleted: refused by save() and,
    for raw SQL, by database triggers; SM3-chained per case (ADR 0092)."""

    append_only_rows = "case events"
    chain_of = "case"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField("序号")
    action = models.CharField("动作", max_length=32)
    from_status = models.CharField("原状态", max_length=32, blank=True)
    to_status = models.CharField("新状态", max_length=32)
    practice_code = models.PositiveSmallIntegerField("办件状态代码")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="操作人",
    )
    actor_role = models.CharField("操作角色", max_length=16, blank=True)
    actor_jurisdiction = models.ForeignKey(
        "regions.Jurisdiction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="操作地",
    )
    at = models.DateTimeField("时间", db_index=True)
    reason = models.TextField("理由/说明", blank=True)
    data = models.JSONField("数据", default=dict, blank=True)
    prev_digest = models.CharField("前一记录摘要(SM3)", max_length=64, blank=True, editable=False)
    digest = models.CharField("摘要(SM3)", max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = "办件记录"
        verbose_name_plural = "办件记录"
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="unique_event_seq")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action}"

    def link(self, prev_digest: str) -> None:
        seal_case_event(self, prev_digest)


def case_event_content(event: Any) -> dict[str, Any]:
    """What a case event's digest commits to (also used on historical models)."""
    return {
        "case": event.case_id,
        "seq": event.seq,
        "action": event.action,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "practice_code": event.practice_code,
        "actor": event.actor_id,
        "actor_role": event.actor_role,
        "actor_jurisdiction": event.actor_jurisdiction_id,
        "at": timestamp(event.at),
        "reason": event.reason,
        "data": event.data,
    }


def seal_case_event(event: Any, prev_digest: str) -> str:
    event.prev_digest = prev_digest
    event.digest = link_digest(prev_digest, case_event_content(event))
    return str(event.digest)


class Shipment(PreparedSaves, models.Model):
    """Paper travelling by post: originals to the handling place (and back), or the
    result. The electronic file travels with `transfer` and is not a shipment."""

    class Purpose(models.TextChoices):
        ORIGINALS = "originals", gettext_noop("纸质原件")
        RESULT = "result", gettext_noop("办理结果")

    class Destination(models.TextChoices):
        HANDLING_PLACE = "handling_place", gettext_noop("办理地")
        APPLICANT = "applicant", gettext_noop("申请人")
        RECEIVING_WINDOW = "receiving_window", gettext_noop("收件窗口")

    class State(models.TextChoices):
        IN_TRANSIT = "in_transit", gettext_noop("运输中")
        SIGNED = "signed", gettext_noop("已签收")
        RETURNED = "returned", gettext_noop("已退回")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="shipments")
    purpose = models.CharField("内容", max_length=16, choices=Purpose.choices)
    destination = models.CharField("寄往", max_length=24, choices=Destination.choices)
    carrier = models.CharField("承运方", max_length=64)
    waybill_number = models.CharField("运单号", max_length=64)
    address = EncryptedTextField("地址", plain_max_length=255, blank=True)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.IN_TRANSIT)
    shipped_at = models.DateTimeField("寄出时间")
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    # the paper originals as they arrived: do they match the electronic file?
    mismatch = models.BooleanField("原件与电子材料不符", default=False)
    note = models.CharField("签收说明", max_length=255, blank=True)
    # a return of originals points at the shipment that brought them (now RETURNED)
    return_of = models.ForeignKey(
        "self",
        verbose_name="退还的来件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
    )

    class Meta:
        verbose_name = "寄递"
        verbose_name_plural = "寄递"
        ordering = ["case", "shipped_at"]
        indexes = [
            # the delivery desk's "paper on its way to us": few rows among millions
            models.Index(
                fields=["case"],
                condition=models.Q(
                    state="in_transit", purpose="originals", destination="handling_place"
                ),
                name="shipment_originals_in_transit",
            )
        ]


class CaseNumberCounter(models.Model):
    """Running number per receiving jurisdiction and day. Locked with SELECT ... FOR
    UPDATE (PostgreSQL) / an IMMEDIATE transaction (SQLite) while a number is drawn."""

    prefix = models.CharField(max_length=24, primary_key=True)
    last = models.PositiveIntegerField(default=0)


class IdempotencyRecord(models.Model):
    """Remembers `Idempotency-Key` headers so a retried submission returns the first case."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=128)
    request_hash = models.CharField(max_length=64)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key")
        ]


class OverdueAlert(models.Model):
    """超期预警: one row per case, level and date the level is about (warn_on for yellow,
    overdue_on for red), written with the staff notifications it caused. The unique key
    makes the sweep idempotent: a second run finds the row and sends nothing; a new due
    date (extension, resumed clock) may warn again (ADR 0093)."""

    class Level(models.TextChoices):
        YELLOW = "yellow", "黄色预警"
        RED = "red", "红色预警(超期)"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="overdue_alerts")
    level = models.CharField("预警级别", max_length=8, choices=Level.choices)
    on = models.DateField("预警所针对的日期")
    status = models.CharField("预警时状态", max_length=32, choices=Status.choices)
    recipients = models.JSONField("通知对象(账号ID)", default=list)
    created_at = models.DateTimeField("预警时间", auto_now_add=True)

    class Meta:
        verbose_name = "超期预警"
        verbose_name_plural = "超期预警"
        ordering = ["case", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "level", "on"], name="one_overdue_alert_per_case_level_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.level} {self.on}"
