from __future__ import annotations

from django.db import models


class AdministrativeRegion(models.Model):
    """A region of GB/T 2260 (province, city, county) or a township statistical code."""

    class Level(models.TextChoices):
        PROVINCE = "province", "省级"
        CITY = "city", "地市级"
        COUNTY = "county", "县级"
        TOWNSHIP = "township", "乡镇级"

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("层级", max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"

    def full_name(self) -> str:
        names = []
        node: AdministrativeRegion | None = self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return "".join(reversed(names))


class Jurisdiction(models.Model):
    """A service jurisdiction (属地): an administrative region or a development zone that
    runs its own service centre and has its own working-day calendar."""

    class Kind(models.TextChoices):
        REGION = "region", "行政区"
        ZONE = "zone", "开发区/功能区"

    code = models.CharField(
        "管辖地代码",
        max_length=12,
        unique=True,
        help_text="行政区用GB/T 2260代码;开发区用统计代码或 上级区划代码+Z+序号",
    )
    name = models.CharField("名称", max_length=64)
    short_name = models.CharField("简称", max_length=16)
    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    region = models.ForeignKey(
        AdministrativeRegion,
        verbose_name="所属行政区划",
        on_delete=models.PROTECT,
        related_name="jurisdictions",
    )
    service_bureau = models.CharField("政务服务管理机构", max_length=128, blank=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "管辖地"
        verbose_name_plural = "管辖地"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"

    @property
    def province_name(self) -> str:
        node: AdministrativeRegion | None = self.region
        while node is not None and node.parent is not None:
            node = node.parent
        return node.name if node else ""


class Department(models.Model):
    """An implementing authority (实施主体) inside a jurisdiction."""

    class Kind(models.TextChoices):
        PUBLIC_SECURITY = "public_security", "公安"
        EXIT_ENTRY = "exit_entry", "出入境管理"
        CIVIL_AFFAIRS = "civil_affairs", "民政"
        MARKET_REGULATION = "market_regulation", "市场监管"
        HUMAN_RESOURCES = "human_resources", "人力资源和社会保障"
        MEDICAL_INSURANCE = "medical_insurance", "医疗保障"
        TAXATION = "taxation", "税务"
        HOUSING_FUND = "housing_fund", "住房公积金中心"
        REAL_ESTATE = "real_estate", "不动产登记"
        HEALTH = "health", "卫生健康"
        TRANSPORT = "transport", "交通运输"
        EDUCATION = "education", "教育"
        DISABLED_PERSONS = "disabled_persons", "残联"
        ADMINISTRATIVE_APPROVAL = "administrative_approval", "行政审批"

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name="管辖地", on_delete=models.PROTECT, related_name="departments"
    )
    kind = models.CharField("部门类别", max_length=32, choices=Kind.choices)
    name = models.CharField("名称", max_length=128)
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["jurisdiction__code", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "kind"], name="one_department_per_kind")
        ]

    def __str__(self) -> str:
        return self.name


class CalendarYear(models.Model):
    """Declares that administrators have entered a year's holidays and 调休 days, so that
    the working-day calendar may answer for a year the packaged calendar does not know."""

    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name="管辖地(空=全国)",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_years",
    )
    year = models.PositiveSmallIntegerField("年份")
    provisional = models.BooleanField(
        "暂定", default=False, help_text="国务院办公厅放假安排公布前的暂定日历"
    )
    note = models.CharField("说明", max_length=255, blank=True)

    class Meta:
        verbose_name = "工作日历年度"
        verbose_name_plural = "工作日历年度"
        ordering = ["year"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "year"], name="one_calendar_year_per_jurisdiction"
            ),
            models.UniqueConstraint(
                fields=["year"],
                condition=models.Q(jurisdiction__isnull=True),
                name="one_national_calendar_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.jurisdiction or '全国'}"


class CalendarDay(models.Model):
    """An exception to the default rule for one date: a holiday on a weekday or a
    make-up working day (调休) on a weekend. Jurisdiction-specific rows win over national
    rows, which win over the packaged calendar."""

    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name="管辖地(空=全国)",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_days",
    )
    date = models.DateField("日期")
    is_working_day = models.BooleanField("是否工作日")
    note = models.CharField("说明", max_length=64, blank=True)

    class Meta:
        verbose_name = "工作日历调整"
        verbose_name_plural = "工作日历调整"
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "date"], name="one_calendar_day_per_jurisdiction"
            ),
            models.UniqueConstraint(
                fields=["date"],
                condition=models.Q(jurisdiction__isnull=True),
                name="one_national_calendar_day",
            ),
        ]

    def __str__(self) -> str:
        kind = "工作日" if self.is_working_day else "休息日"
        return f"{self.date} {kind} {self.note}"
