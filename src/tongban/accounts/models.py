from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_noop

from tongban.core.fields import BlindIndexField, EncryptedTextField
from tongban.core.loading import QuickLoading
from tongban.core.masking import mask_id_number, mask_name


def new_grants_version() -> int:
    """A fresh `User.grants_version` (random: a rolled-back change leaves the old one)."""
    return secrets.randbits(62)


class TrustSource(models.TextChoices):
    SELF = "self", "自助注册"
    IDP = "idp", "统一身份认证"
    WINDOW = "window", "窗口现场核验"


class User(AbstractUser):
    class Kind(models.TextChoices):
        STAFF = "staff", gettext_noop("工作人员")
        APPLICANT = "applicant", gettext_noop("申请人")

    kind = models.CharField("账号类型", max_length=16, choices=Kind.choices, default=Kind.STAFF)
    display_name = models.CharField("姓名", max_length=64, blank=True)
    phone = EncryptedTextField("手机号", plain_max_length=20, blank=True)
    # 可信等级 (docs/security.md, ADR 0099): 2 = what the user typed, format checked only;
    # 3 and 4 come from the identity platform's claims, 5 from a clerk's check at a window
    trust_level = models.PositiveSmallIntegerField("可信等级", default=2)
    trust_source = models.CharField(
        "可信等级来源", max_length=16, blank=True, choices=TrustSource.choices
    )
    trust_verified_at = models.DateTimeField("可信等级核验时间", null=True, blank=True)
    # the identity platform's `sub`; one Tongban account per platform identity
    oidc_subject = models.CharField("统一身份认证标识", max_length=255, null=True, blank=True)
    # new on every change of the user's role assignments (accounts.apps): the role grants
    # are cached per process under it, and it comes with the user row that every request
    # reads anyway, so a removed role is gone on the next request (ADR 0119)
    grants_version = models.BigIntegerField("角色版本", default=new_grants_version, editable=False)

    class Meta:
        verbose_name = "账号"
        verbose_name_plural = "账号"
        constraints = [
            models.UniqueConstraint(fields=["oidc_subject"], name="one_account_per_oidc_subject")
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        # only a role change sets grants_version (accounts.apps); an object read before
        # such a change must not write its old version back in a full save, or a removed
        # role would come back from the cache (ADR 0119)
        if not self._state.adding and not args and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "grants_version"
            ]
        super().save(*args, **kwargs)


class Role(models.TextChoices):
    CLERK = "clerk", gettext_noop("窗口收件人员")
    OFFICER = "officer", gettext_noop("审批经办人员")
    HEAD = "head", gettext_noop("部门负责人")
    ADMIN = "admin", gettext_noop("管辖地管理员")
    SUPERVISOR = "supervisor", gettext_noop("监督人员")
    PLATFORM_ADMIN = "platform_admin", gettext_noop("平台管理员")


class RoleAssignment(models.Model):
    """A staff role in one jurisdiction. A user may hold several (e.g. clerk and officer)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="账号",
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    jurisdiction = models.ForeignKey(
        "regions.Jurisdiction",
        verbose_name="管辖地",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
        help_text="平台管理员不限管辖地,其余角色必填",
    )
    window = models.ForeignKey(
        "centres.Window",
        verbose_name="窗口",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "jurisdiction"], name="unique_role_assignment"
            ),
            models.CheckConstraint(
                condition=models.Q(role="platform_admin") | models.Q(jurisdiction__isnull=False),
                name="role_needs_jurisdiction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()} {self.jurisdiction or ''}"


class Applicant(QuickLoading, models.Model):
    """A person (公民身份号码) or an enterprise (统一社会信用代码) that applies for services.
    An enterprise acts through an agent (经办人), whose identity is recorded too."""

    class Kind(models.TextChoices):
        PERSON = "person", gettext_noop("自然人")
        ENTERPRISE = "enterprise", gettext_noop("法人/企业")

    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    name = models.CharField("姓名/名称", max_length=128)
    # personal data is encrypted at rest; exact look-ups use the blind indexes (ADR 0098)
    id_number = EncryptedTextField("公民身份号码", plain_max_length=18, blank=True)
    id_number_index = BlindIndexField("公民身份号码索引", source="id_number", db_index=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True, db_index=True)
    agent_name = models.CharField("经办人姓名", max_length=64, blank=True)
    agent_id_number = EncryptedTextField("经办人身份号码", plain_max_length=18, blank=True)
    agent_id_number_index = BlindIndexField(
        "经办人身份号码索引", source="agent_id_number", db_index=True
    )
    phone = EncryptedTextField("联系电话", plain_max_length=20, blank=True)
    email = EncryptedTextField("电子邮箱", plain_max_length=254, blank=True)
    address = EncryptedTextField("联系地址", plain_max_length=255, blank=True)
    bad_credit = models.BooleanField(
        "失信记录", default=False, help_text="有失信记录的申请人不适用容缺受理"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="门户账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applicants",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "申请人"
        verbose_name_plural = "申请人"
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="person") & ~models.Q(id_number=""))
                | (models.Q(kind="enterprise") & ~models.Q(uscc="")),
                name="applicant_has_identifier",
            ),
            # one record per person and per enterprise, also under concurrent registrations
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=models.Q(kind="person"),
                name="one_applicant_per_id_number",
            ),
            models.UniqueConstraint(
                fields=["uscc"],
                condition=models.Q(kind="enterprise"),
                name="one_applicant_per_uscc",
            ),
        ]

    def __str__(self) -> str:
        return f"{mask_name(self.name) if self.kind == 'person' else self.name}"

    @property
    def identifier(self) -> str:
        return self.id_number if self.kind == self.Kind.PERSON else self.uscc

    @property
    def masked_identifier(self) -> str:
        if self.kind == self.Kind.PERSON:
            return mask_id_number(self.id_number)
        return self.uscc


class ApiToken(models.Model):
    """Bearer token for the API. Only a SHA-256 of the key is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "API令牌"
        verbose_name_plural = "API令牌"


class PersonalDataRead(models.Model):
    """个人信息查阅记录: one row per read of a person's unmasked data by someone other than
    the person (个人信息保护法 §44–45). Append-only; written by
    `accounts.personal_data.record_read` with one INSERT and no lock."""

    class Purpose(models.TextChoices):
        CASE = "case", "办件详情"
        LICENCE = "licence", "电子证照"
        FILE = "file", "申请材料文件"
        LOOKUP = "lookup", "窗口查找申请人"
        ADMIN = "admin", "后台管理"

    class Channel(models.TextChoices):
        WEB = "web", "工作台"
        API = "api", "接口"
        ADMIN = "admin", "后台管理"

    subject = models.ForeignKey(
        Applicant,
        verbose_name="被查阅人",
        on_delete=models.PROTECT,
        related_name="data_reads",
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="查阅人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reader_role = models.CharField("查阅人角色", max_length=16, blank=True)
    jurisdiction = models.ForeignKey(
        "regions.Jurisdiction",
        verbose_name="查阅人所在管辖地",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    purpose = models.CharField("查阅事由", max_length=16, choices=Purpose.choices)
    reference = models.CharField(
        "事由编号", max_length=128, blank=True, help_text="办件编号、证照标识、文件编号等"
    )
    channel = models.CharField("渠道", max_length=8, choices=Channel.choices)
    read_at = models.DateTimeField("查阅时间", default=timezone.now)

    class Meta:
        verbose_name = "个人信息查阅记录"
        verbose_name_plural = "个人信息查阅记录"
        indexes = [models.Index(fields=["subject", "-read_at"], name="datareads_by_subject")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.reference} @ {self.read_at:%Y-%m-%d %H:%M}"
