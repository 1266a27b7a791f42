from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from tongban.core.chain import link_digest, timestamp
from tongban.core.models import SequenceChained

LEVEL_CHOICES = [
    (5, "非常满意"),
    (4, "满意"),
    (3, "基本满意"),
    (2, "不满意"),
    (1, "非常不满意"),
]
BAD_LEVELS = (1, 2)

# 好差评 indicators (GB/T 39735-2020 practice): `overall` is the rating's level
ONLINE_INDICATORS = ("overall", "efficiency", "guide_accuracy", "convenience", "usability")
IN_PERSON_INDICATORS = ("overall", "efficiency", "competence", "attitude")


class ChannelKind(models.TextChoices):
    ONLINE = "online", "网上办事"
    IN_PERSON = "in_person", "现场办事"


class Leg(models.TextChoices):
    RECEIVING = "receiving", "收件地(窗口)"
    HANDLING = "handling", "办理地"


class Source(models.TextChoices):
    """How the rating reached us (评价渠道 in the 好差评 sense: where the applicant rated)."""

    PORTAL = "portal", "网上办事大厅"
    WINDOW_PAD = "window_pad", "窗口评价器"
    LINK = "link", "短信/邮件评价链接"


class Rating(models.Model):
    """好差评: one per service (一次一评 / 一事一评) — a case or a consultation, exactly one
    of the two. Given by the applicant in the portal, on the window's rating pad right
    after being served, or through a one-time link sent to applicants without an account.
    `target_leg` says whose service is rated and so who is responsible for a bad rating
    (谁办理谁负责)."""

    class Status(models.TextChoices):
        VALID = "valid", "有效"
        ANNULLED = "annulled", "已撤销(复核认定无效)"

    case = models.OneToOneField(
        "cases.Case",
        verbose_name="办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rating",
    )
    consultation = models.OneToOneField(
        "consultations.Consultation",
        verbose_name="咨询",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rating",
    )
    source = models.CharField(
        "评价方式", max_length=16, choices=Source.choices, default=Source.PORTAL
    )
    channel_kind = models.CharField("评价渠道", max_length=16, choices=ChannelKind.choices)
    level = models.PositiveSmallIntegerField("总体评价", choices=LEVEL_CHOICES)
    indicators = models.JSONField("分项评价", default=dict)
    comment = models.TextField("评价内容", blank=True)
    anonymous = models.BooleanField("匿名评价", default=False)
    # the applicant's portal account; None on the window pad and through a link (the
    # service's applicant is the rater then)
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评价人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_leg = models.CharField("被评价环节", max_length=16, choices=Leg.choices)
    target_jurisdiction = models.ForeignKey(
        "regions.Jurisdiction",
        verbose_name="被评价管辖地",
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.VALID, db_index=True
    )
    rated_at = models.DateTimeField("评价时间", db_index=True)
    annulled_at = models.DateTimeField("撤销时间", null=True, blank=True)
    event_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "好差评"
        verbose_name_plural = "好差评"
        ordering = ["-rated_at", "-id"]
        indexes = [models.Index(fields=["target_jurisdiction", "-rated_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1) & models.Q(level__lte=5), name="rating_level_1_5"
            ),
            models.CheckConstraint(
                condition=(models.Q(case__isnull=False) & models.Q(consultation__isnull=True))
                | (models.Q(case__isnull=True) & models.Q(consultation__isnull=False)),
                name="rating_one_service",
            ),
        ]

    def __str__(self) -> str:
        return f"评价#{self.pk} {self.level}"

    @property
    def service_number(self) -> str:
        """The rated service's reference: the case number, or 咨询#id."""
        if self.case_id is not None:
            return self.case.number  # type: ignore[union-attr]
        return f"咨询#{self.consultation_id}"

    @property
    def item_name(self) -> str:
        if self.case_id is not None:
            return self.case.item.name  # type: ignore[union-attr]
        consultation = self.consultation
        assert consultation is not None
        item = consultation.item
        return item.name if item is not None else consultation.topic

    @property
    def rater_name(self) -> str:
        """Who rated, for staff of named ratings: the portal account, else the service's
        applicant (or the consultation's asker)."""
        if self.rater_id is not None:
            return self.rater.display_name or self.rater.username  # type: ignore[union-attr]
        if self.case_id is not None:
            return self.case.applicant.name  # type: ignore[union-attr]
        consultation = self.consultation
        assert consultation is not None
        if consultation.applicant_id:
            return consultation.applicant.name  # type: ignore[union-attr]
        return consultation.asker_name

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS


class Rectification(models.Model):
    """差评整改: opened by a bad rating for the responsible jurisdiction. Call-back
    (回访, required for named ratings), outcome by a deadline in working days, appeal by the
    rated jurisdiction and review by a supervisor or platform admin (申诉复核)."""

    class Status(models.TextChoices):
        OPEN = "open", "整改中"
        APPEALED = "appealed", "申诉待复核"
        CLOSED = "closed", "已整改办结"
        ANNULLED = "annulled", "复核撤销差评"

    class Outcome(models.TextChoices):
        FIXED_AT_ONCE = "fixed_at_once", "立行立改"
        FIXED = "fixed", "限期整改完成"
        EXPLAINED = "explained", "解释说明"

    class ReviewDecision(models.TextChoices):
        ANNUL = "annul", "申诉成立,撤销差评"
        REJECT = "reject", "申诉不成立,继续整改"

    rating = models.OneToOneField(
        Rating, verbose_name="差评", on_delete=models.PROTECT, related_name="rectification"
    )
    jurisdiction = models.ForeignKey(
        "regions.Jurisdiction",
        verbose_name="责任管辖地",
        on_delete=models.PROTECT,
        related_name="rectifications",
    )
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    opened_at = models.DateTimeField("派发时间")
    due_date = models.DateField("整改期限")
    callback_at = models.DateTimeField("回访时间", null=True, blank=True)
    callback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="回访人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    callback_reached = models.BooleanField("回访已联系上", null=True, blank=True)
    callback_note = models.TextField("回访记录", blank=True)
    outcome = models.CharField("整改结果", max_length=16, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField("整改说明", blank=True)
    resolved_at = models.DateTimeField("办结时间", null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办结人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    appeal_reason = models.TextField("申诉理由", blank=True)
    appealed_at = models.DateTimeField("申诉时间", null=True, blank=True)
    appealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申诉人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_decision = models.CharField(
        "复核结论", max_length=16, choices=ReviewDecision.choices, blank=True
    )
    review_note = models.TextField("复核意见", blank=True)
    reviewed_at = models.DateTimeField("复核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="复核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "差评整改"
        verbose_name_plural = "差评整改"
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["jurisdiction", "status", "due_date"])]

    def __str__(self) -> str:
        return f"整改#{self.pk} {self.get_status_display()}"


class RatingInvitation(models.Model):
    """评价链接: a one-time link sent with the closing notification to an applicant without
    a portal account. Only the SHA-256 of the token is stored, so the table cannot be used
    to rate; the link expires with the rating period and is spent by one rating."""

    token_hash = models.CharField(max_length=64, unique=True)
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="办件",
    )
    consultation = models.ForeignKey(
        "consultations.Consultation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="咨询",
    )
    created_at = models.DateTimeField("发出时间")
    expires_at = models.DateTimeField("失效时间")
    used_at = models.DateTimeField("使用时间", null=True, blank=True)
    rating = models.OneToOneField(
        Rating,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitation",
        verbose_name="评价",
    )

    class Meta:
        verbose_name = "评价链接"
        verbose_name_plural = "评价链接"
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(case__isnull=False) & models.Q(consultation__isnull=True))
                | (models.Q(case__isnull=True) & models.Q(consultation__isnull=False)),
                name="invitation_one_service",
            )
        ]

    def __str__(self) -> str:
        return f"评价链接#{self.pk}"


class RatingEvent(SequenceChained):
    """Append-only history of a rating and its rectification; read by the statistics job by
    id watermark."""

    append_only_rows = "rating events"
    chain_of = "rating"

    rating = models.ForeignKey(
        Rating, on_delete=models.PROTECT, related_name="events", verbose_name="评价"
    )
    seq = models.PositiveIntegerField("序号")
    action = models.CharField("动作", max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="操作人",
    )
    actor_role = models.CharField("操作角色", max_length=16, blank=True)
    at = models.DateTimeField("时间")
    note = models.TextField("说明", blank=True)
    data = models.JSONField("数据", default=dict, blank=True)
    prev_digest = models.CharField("前一记录摘要(SM3)", max_length=64, blank=True, editable=False)
    digest = models.CharField("摘要(SM3)", max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = "评价记录"
        verbose_name_plural = "评价记录"
        ordering = ["rating", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["rating", "seq"], name="unique_rating_event_seq")
        ]

    def __str__(self) -> str:
        return f"{self.rating_id}#{self.seq} {self.action}"

    def link(self, prev_digest: str) -> None:
        seal_rating_event(self, prev_digest)


def rating_event_content(event: Any) -> dict[str, Any]:
    """What a rating event's digest commits to (also used on historical models)."""
    return {
        "rating": event.rating_id,
        "seq": event.seq,
        "action": event.action,
        "actor": event.actor_id,
        "actor_role": event.actor_role,
        "at": timestamp(event.at),
        "note": event.note,
        "data": event.data,
    }


def seal_rating_event(event: Any, prev_digest: str) -> str:
    event.prev_digest = prev_digest
    event.digest = link_digest(prev_digest, rating_event_content(event))
    return str(event.digest)


class MonthlySummary(models.Model):
    """好差评 results published for one month and one rated jurisdiction (结果公开).
    Frozen when published; republishing a month replaces its rows (audited)."""

    month = models.DateField("月份", help_text="当月1日")
    jurisdiction = models.ForeignKey(
        "regions.Jurisdiction",
        verbose_name="被评价管辖地",
        on_delete=models.PROTECT,
        related_name="rating_summaries",
    )
    ratings = models.PositiveIntegerField("评价数")
    level_5 = models.PositiveIntegerField("非常满意")
    level_4 = models.PositiveIntegerField("满意")
    level_3 = models.PositiveIntegerField("基本满意")
    level_2 = models.PositiveIntegerField("不满意")
    level_1 = models.PositiveIntegerField("非常不满意")
    average = models.DecimalField("平均分", max_digits=4, decimal_places=2)
    good_rate = models.DecimalField("好评率(%)", max_digits=5, decimal_places=2)
    rectified = models.PositiveIntegerField("差评已整改")
    annulled = models.PositiveIntegerField("复核撤销")
    published_at = models.DateTimeField("发布时间")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发布人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "好差评月度公示"
        verbose_name_plural = "好差评月度公示"
        ordering = ["-month", "jurisdiction__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "jurisdiction"], name="one_summary_per_month_jurisdiction"
            )
        ]
