from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_noop

from tongban.regions.models import Department


class Mode(models.TextChoices):
    ONLINE = "online", gettext_noop("全程网办")
    PROXY = "proxy", gettext_noop("异地代收代办")
    JOINT = "joint", gettext_noop("多地联办")


class Channel(models.TextChoices):
    WINDOW = "window", gettext_noop("窗口")
    TERMINAL = "terminal", gettext_noop("自助终端")
    WEB = "web", gettext_noop("网上办事大厅")
    APP = "app", gettext_noop("移动端")


class DeliveryMethod(models.TextChoices):
    POST = "post", gettext_noop("邮政寄递")
    WINDOW = "window", gettext_noop("窗口领取")
    ELECTRONIC = "electronic", gettext_noop("网络送达")


class FormKind(models.TextChoices):
    """Structured application forms; their schemas live in cases/application_forms.py."""

    NONE = "", "无"
    COMPANY_ESTABLISHMENT = "company_establishment", "企业设立登记申请表"
    SEAL_ENGRAVING = "seal_engraving", "公章刻制申请"


class ServiceItem(models.Model):
    """Basic catalogue entry (基本目录): the same name, code and type wherever handled."""

    class ItemType(models.TextChoices):
        LICENSING = "licensing", "行政许可"
        CONFIRMATION = "confirmation", "行政确认"
        PAYMENT = "payment", "行政给付"
        PUBLIC_SERVICE = "public_service", "公共服务"
        OTHER = "other", "其他行政权力"

    code = models.CharField("基本编码", max_length=32, unique=True)
    name = models.CharField("事项名称", max_length=128, db_index=True)
    pinyin_initials = models.CharField("拼音首字母", max_length=64, blank=True, db_index=True)
    item_type = models.CharField("事项类型", max_length=16, choices=ItemType.choices)
    department_kind = models.CharField(
        "主管部门类别", max_length=32, choices=Department.Kind.choices
    )
    high_frequency = models.BooleanField("高频事项", default=False)
    description = models.TextField("说明", blank=True)

    class ApplicantKind(models.TextChoices):
        ANY = "", "不限"
        PERSON = "person", "自然人"
        ENTERPRISE = "enterprise", "法人"

    # 服务对象: who applies for the item; a window receives a 法人 item for an enterprise
    # by default (its agent, 经办人, at the counter), ADR 0123
    applicant_kind = models.CharField(
        "服务对象",
        max_length=16,
        blank=True,
        default="",
        choices=ApplicantKind.choices,
        help_text="法人事项在窗口收件时默认按法人/企业(经办人代办)填写",
    )
    form_kind = models.CharField(
        "申请表类型",
        max_length=32,
        blank=True,
        choices=FormKind.choices,
        help_text="结构化申请表(见 cases/application_forms.py),如企业设立登记、公章刻制",
    )

    class Meta:
        verbose_name = "事项(基本目录)"
        verbose_name_plural = "事项(基本目录)"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"


class ItemImplementation(models.Model):
    """How one jurisdiction implements an item (实施清单), versioned. A published version is
    frozen; an edit makes a new draft; a case keeps the version it was opened under."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        RETIRED = "retired", "已停用"

    class ResultType(models.TextChoices):
        LICENCE = "licence", gettext_noop("证照")
        APPROVAL_DOCUMENT = "approval_document", gettext_noop("批准文书")
        RECORD = "record", gettext_noop("办理结果告知")

    item = models.ForeignKey(
        ServiceItem, verbose_name="事项", on_delete=models.PROTECT, related_name="implementations"
    )
    jurisdiction = models.ForeignKey(
        "regions.Jurisdiction",
        verbose_name="实施管辖地",
        on_delete=models.PROTECT,
        related_name="item_implementations",
    )
    department = models.ForeignKey(
        Department,
        verbose_name="实施部门",
        on_delete=models.PROTECT,
        related_name="item_implementations",
    )
    version = models.PositiveIntegerField("版本", default=1)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    implementation_code = models.CharField("实施编码", max_length=64, blank=True)
    legal_basis = models.TextField("设定依据", blank=True)
    conditions = models.TextField("受理条件", blank=True)
    statutory_limit_days = models.PositiveSmallIntegerField("法定时限(工作日)", default=20)
    promised_limit_days = models.PositiveSmallIntegerField("承诺时限(工作日)")
    promised_limit_hours = models.PositiveSmallIntegerField(
        "即办件时限(小时)",
        null=True,
        blank=True,
        help_text="即办件:受理后在办理地办公时间内的小时时限;填写后承诺时限不再按工作日计",
    )
    fee = models.DecimalField("收费(元)", max_digits=10, decimal_places=2, default=0)
    result_type = models.CharField("结果类型", max_length=24, choices=ResultType.choices)
    result_name = models.CharField("结果名称", max_length=128, blank=True)
    licence_type_code = models.CharField(
        "电子证照类型代码", max_length=32, blank=True, help_text="结果为证照时填写"
    )
    delivery_methods = models.JSONField("送达方式", default=list)
    modes = models.JSONField("支持的通办模式", default=list)
    channels = models.JSONField("受理渠道", default=list)
    needs_originals = models.BooleanField(
        "需寄递纸质原件", default=False, help_text="代收代办时收件地须寄出纸质原件"
    )
    originals_before_acceptance = models.BooleanField(
        "原件到达后方可受理",
        default=False,
        help_text="勾选时办理地须签收纸质原件后才能受理;不勾选时可凭电子材料先行受理",
    )
    valid_from = models.DateField("生效日期", null=True, blank=True)
    valid_to = models.DateField("失效日期", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "事项实施清单"
        verbose_name_plural = "事项实施清单"
        ordering = ["item__code", "jurisdiction__code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "jurisdiction", "version"], name="unique_implementation_version"
            ),
            models.UniqueConstraint(
                fields=["item", "jurisdiction"],
                condition=models.Q(status="published"),
                name="one_published_implementation",
            ),
            models.UniqueConstraint(
                fields=["item", "jurisdiction"],
                condition=models.Q(status="draft"),
                name="one_draft_implementation",
            ),
            models.CheckConstraint(
                condition=models.Q(promised_limit_days__lte=models.F("statutory_limit_days")),
                name="promised_within_statutory",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.name} · {self.jurisdiction.short_name} v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT


class Material(models.Model):
    """One line of an implementation's materials checklist (材料清单)."""

    class Requirement(models.TextChoices):
        REQUIRED = "required", gettext_noop("必须提交")
        OPTIONAL = "optional", gettext_noop("选择提交")
        DEFERRABLE = "deferrable", gettext_noop("可容缺")

    class Form(models.TextChoices):
        ORIGINAL = "original", gettext_noop("原件")
        COPY = "copy", gettext_noop("复印件")
        ELECTRONIC = "electronic", gettext_noop("电子材料")

    implementation = models.ForeignKey(
        ItemImplementation,
        verbose_name="实施清单",
        on_delete=models.CASCADE,
        related_name="materials",
    )
    position = models.PositiveSmallIntegerField("序号", default=1)
    name = models.CharField("材料名称", max_length=128)
    requirement = models.CharField("要求", max_length=16, choices=Requirement.choices)
    form = models.CharField("形式", max_length=16, choices=Form.choices)
    copies = models.PositiveSmallIntegerField("份数", default=1)
    licence_type_code = models.CharField(
        "可替代的电子证照类型",
        max_length=32,
        blank=True,
        help_text="申请人已持有该类电子证照时免提交",
    )
    note = models.CharField("备注", max_length=255, blank=True)

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["implementation", "position"]

    def __str__(self) -> str:
        return self.name


class ItemBundle(models.Model):
    """ "一件事" bundle (e.g. 企业开办一件事): one application at the window for a lead item
    whose parts are opened as sub-cases of the departments that own them."""

    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=128)
    lead_item = models.ForeignKey(
        ServiceItem, verbose_name="主办事项", on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "一件事"
        verbose_name_plural = "一件事"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"


class BundlePart(models.Model):
    bundle = models.ForeignKey(
        ItemBundle, verbose_name="一件事", on_delete=models.CASCADE, related_name="parts"
    )
    item = models.ForeignKey(
        ServiceItem, verbose_name="联办事项", on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField("序号", default=1)
    optional = models.BooleanField("申请人可选", default=False)

    class Meta:
        verbose_name = "一件事联办事项"
        verbose_name_plural = "一件事联办事项"
        ordering = ["bundle", "position"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "item"], name="unique_bundle_part_item")
        ]

    def __str__(self) -> str:
        return f"{self.bundle.code}:{self.item.code}"
