from __future__ import annotations

from django.conf import settings
from django.db import models


class Attachment(models.Model):
    """A file uploaded for a case (a scanned material). The bytes live in Django's storage
    (file system by default, an S3-compatible store by configuration); the row keeps what
    the content check found and the SHA-256 of the bytes as stored. Append-only: a wrong
    file is superseded by a newer upload, never edited."""

    case = models.ForeignKey(
        "cases.Case", verbose_name="办件", on_delete=models.CASCADE, related_name="attachments"
    )
    case_material = models.ForeignKey(
        "cases.CaseMaterial",
        verbose_name="对应材料",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attachments",
    )
    file = models.FileField("文件", max_length=255)
    original_name = models.CharField("原文件名", max_length=255)
    content_type = models.CharField("文件类型", max_length=64)
    size = models.PositiveBigIntegerField("大小(字节)")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "上传材料"
        verbose_name_plural = "上传材料"
        ordering = ["case", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class HeldUpload(models.Model):
    """A file uploaded with a form whose submission failed (a missing address, an unticked
    line): held for the form's resubmission so nobody chooses it again (ADR 0123). Owned
    by the user who uploaded it and tied to the form's one-time token; checked by content
    and hashed like an Attachment; removed when the case is opened with it, when the
    user removes it, or when it expires (`tongban purge-held-uploads`)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.CASCADE, related_name="+"
    )
    token = models.CharField("表单令牌", max_length=64)
    # the checklist Material the file is for (the case material does not exist yet)
    material_id = models.BigIntegerField("对应材料")
    file = models.FileField("文件", max_length=255)
    original_name = models.CharField("原文件名", max_length=255)
    content_type = models.CharField("文件类型", max_length=64)
    size = models.PositiveBigIntegerField("大小(字节)")
    sha256 = models.CharField("SHA-256", max_length=64)
    held_at = models.DateTimeField("上传时间", auto_now_add=True)
    expires_at = models.DateTimeField("保留至", db_index=True)

    class Meta:
        verbose_name = "暂存上传"
        verbose_name_plural = "暂存上传"
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "token", "material_id"], name="held_upload_one_per_line"
            )
        ]

    def __str__(self) -> str:
        return self.original_name
