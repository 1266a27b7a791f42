from __future__ import annotations

from django.conf import settings
from django.db import models

from tongban.core.fields import BlindIndexField, EncryptedJSONField, EncryptedTextField
from tongban.core.masking import mask_name
from tongban.core.prepared import PreparedSaves


class DataSignatureAlgorithm(models.TextChoices):
    """Algorithm of the detached signature over a licence's structured data. The PDF's
    PAdES signature always uses the jurisdiction's X.509 key (RSA or ECDSA)."""

    X509 = "x509", "与证书一致(RSA/ECDSA + SHA-256)"
    SM2_SM3 = "sm2-sm3", "国密 SM2 + SM3"


class SigningKey(models.Model):
    """Public half of a key made by `tongban setup-pki`: the platform root CA, a
    jurisdiction's X.509 signing certificate, or a jurisdiction's SM2 key. Private keys
    stay in files under TONGBAN_PKI_DIR, encrypted with TONGBAN_PKI_PASSPHRASE; the public
    halves are kept here so that verification needs only the database."""

    class Kind(models.TextChoices):
        ROOT_CA = "root_ca", "平台根证书"
        X509 = "x509", "签章证书"
        SM2 = "sm2", "SM2 密钥"

    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    jurisdiction = models.ForeignKey(
        "regions.Jurisdiction",
        verbose_name="管辖地",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_keys",
    )
    serial = models.CharField(
        "证书序列号/密钥标识", max_length=64, unique=True, help_text="X.509 序列号(十六进制)"
    )
    algorithm = models.CharField("算法", max_length=32)
    subject = models.CharField("主体", max_length=255, blank=True)
    certificate_pem = models.TextField("证书(PEM)", blank=True)
    public_key = models.TextField("公钥", help_text="PEM,SM2 为 04||x||y 十六进制")
    fingerprint = models.CharField("SHA-256 指纹", max_length=64)
    not_before = models.DateTimeField("生效时间", null=True, blank=True)
    not_after = models.DateTimeField("失效时间", null=True, blank=True)
    active = models.BooleanField("当前使用", default=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "签名密钥"
        verbose_name_plural = "签名密钥"
        ordering = ["kind", "jurisdiction__code", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "jurisdiction"],
                condition=models.Q(active=True),
                name="one_active_signing_key_per_kind",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(active=True, jurisdiction__isnull=True),
                name="one_active_root_ca",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.jurisdiction or '平台'} {self.serial[:16]}"


class SigningProfile(models.Model):
    """Per jurisdiction: which algorithm signs the structured data of its licences."""

    jurisdiction = models.OneToOneField(
        "regions.Jurisdiction",
        verbose_name="管辖地",
        on_delete=models.PROTECT,
        related_name="signing_profile",
    )
    data_algorithm = models.CharField(
        "数据签名算法",
        max_length=16,
        choices=DataSignatureAlgorithm.choices,
        default=DataSignatureAlgorithm.X509,
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "签章配置"
        verbose_name_plural = "签章配置"
        ordering = ["jurisdiction__code"]

    def __str__(self) -> str:
        return f"{self.jurisdiction} {self.get_data_algorithm_display()}"


class Licence(PreparedSaves, models.Model):
    """电子证照 (GB/T 36901–36906): structured data with a detached signature, plus a PDF
    carrying a PAdES signature of the issuing jurisdiction."""

    class Status(models.TextChoices):
        # issued by the decision, waiting for the worker to sign it (ADR 0121): it has
        # its identifier and data but no signature and no PDF yet
        SIGNING = "signing", "签发中"
        VALID = "valid", "有效"
        REVOKED = "revoked", "已吊销/撤销"

    identifier = models.CharField("证照标识", max_length=128, unique=True)
    licence_type_code = models.CharField("证照类型代码", max_length=32, db_index=True)
    licence_name = models.CharField("证照名称", max_length=128)
    holder = models.ForeignKey(
        "accounts.Applicant",
        verbose_name="持证主体",
        on_delete=models.PROTECT,
        related_name="licences",
    )
    holder_name = models.CharField("持证主体名称", max_length=128)
    holder_kind = models.CharField("持证主体类型", max_length=16)
    # a person's ID number is personal data: encrypted, looked up by its blind index
    holder_identifier = EncryptedTextField(
        "持证主体代码", plain_max_length=18, help_text="公民身份号码或统一社会信用代码"
    )
    holder_identifier_index = BlindIndexField("持证主体代码索引", source="holder_identifier")
    issuing_jurisdiction = models.ForeignKey(
        "regions.Jurisdiction",
        verbose_name="发证管辖地",
        on_delete=models.PROTECT,
        related_name="issued_licences",
    )
    # the node that signed it when another node of the federation issued it and sent it
    # here (ADR 0132); believed only while the trust list vouches for that node
    issuing_node = models.CharField("签发节点", max_length=32, blank=True, default="")
    issuer_name = models.CharField("发证机关", max_length=128)
    issuer_uscc = models.CharField("发证机关统一社会信用代码", max_length=18)
    serial = models.CharField("顺序号", max_length=16)
    version = models.PositiveSmallIntegerField("版本", default=1)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licences",
    )
    # the signed data names the holder and their ID number: encrypted too (ADR 0098)
    data = EncryptedJSONField("结构化数据")
    data_signature = models.TextField("数据签名(Base64)")
    algorithm = models.CharField("数据签名算法", max_length=32)
    signing_key = models.ForeignKey(
        SigningKey,
        verbose_name="数据签名密钥",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    certificate_serial = models.CharField("签章证书序列号", max_length=64)
    pdf = models.BinaryField("版式文件(PDF)", editable=False)
    pdf_sha256 = models.CharField("PDF SHA-256", max_length=64)
    status = models.CharField(
        "状态", max_length=8, choices=Status.choices, default=Status.VALID, db_index=True
    )
    issued_at = models.DateTimeField("签发时间", db_index=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签发人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # the lease of the signer working on a `signing` licence (ADR 0121): a signer takes
    # it with a compare-and-set; the sweep re-enqueues a licence whose lease ran out
    signing_started_at = models.DateTimeField("签章开始时间", null=True, blank=True)
    signing_attempts = models.PositiveSmallIntegerField("签章次数", default=0)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    revocation_reason = models.TextField("吊销理由", blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="吊销人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "电子证照"
        verbose_name_plural = "电子证照"
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["holder", "status"]),
            models.Index(fields=["holder_identifier_index", "status"]),
            models.Index(fields=["issuing_jurisdiction", "-issued_at"]),
            # the sweep's look-up of licences still to sign (a handful at any time)
            models.Index(
                fields=["signing_started_at"],
                condition=models.Q(status="signing"),
                name="licence_signing_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer_uscc", "serial", "version"], name="unique_licence_serial_version"
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status__in=["signing", "valid"]),
                name="one_valid_licence_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.licence_name} {self.identifier}"

    @property
    def masked_holder_name(self) -> str:
        """Names of persons (and of individual businesses, USCC type 92, which usually
        carry the owner's name) are masked; other enterprise names are public register
        data and stay readable."""
        if self.holder_kind == "enterprise" and not self.holder_identifier.startswith("92"):
            return self.holder_name
        return mask_name(self.holder_name)


class LicenceSerialCounter(models.Model):
    """Running serial per issuer (USCC) and year. Locked like the case-number counter."""

    prefix = models.CharField(max_length=32, primary_key=True)
    last = models.PositiveIntegerField(default=0)


class LicenceShare(models.Model):
    """证照分享: a holder hands one licence to the staff handling another case (issue 15
    §4) through a link whose token only the holder saw. Time-limited, revocable; only the
    token's SHA-256 is stored, so the table cannot be used to open a share. Every opening
    by staff is a recorded read (ADR 0100); ADR 0125."""

    licence = models.ForeignKey(
        Licence, verbose_name="电子证照", on_delete=models.PROTECT, related_name="shares"
    )
    token_sha256 = models.CharField("分享码摘要", max_length=64, unique=True)
    note = models.CharField("用途", max_length=128, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="分享人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("分享时间")
    expires_at = models.DateTimeField("有效期至")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = "证照分享"
        verbose_name_plural = "证照分享"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.licence.identifier} → {self.expires_at:%Y-%m-%d}"
