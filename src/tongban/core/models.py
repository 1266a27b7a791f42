from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from tongban.core.chain import link_digest, timestamp
from tongban.core.prepared import Prepared, PreparedSaves


class AuditEventManager(models.Manager["AuditEvent"]):
    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[AuditEvent]:
        """bulk_create skips save(): seal the rows here, in order, per audited object."""
        rows = list(objs)
        unsealed = [row for row in rows if not row.digest]
        heads = _audit_chain_heads({(row.object_type, row.object_id) for row in unsealed})
        for row in unsealed:
            key = (row.object_type, row.object_id)
            row.prev_digest = heads.get(key, "")
            row.digest = link_digest(row.prev_digest, audit_content(row))
            heads[key] = row.digest
        return super().bulk_create(rows, *args, **kwargs)


class AppendOnly(models.Model):
    """History: a row is written once and never changed or deleted. The database refuses
    too (integrity triggers); this refuses earlier, with an error that names the table."""

    append_only_rows = "rows"  # what the refusal calls them, e.g. "case events"

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError(f"{self.append_only_rows} are append-only")
        self.seal()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{self.append_only_rows} are append-only")

    def seal(self) -> None:
        """Set the row's chain digests before the INSERT; chained tables override this."""


class SequenceChained(AppendOnly):
    """An append-only log numbered `seq` per parent row (`chain_of`), SM3-chained in that
    order (ADR 0092). Every action that appends locks the parent row, so the chain is
    serial and the link before is the row with `seq - 1`."""

    chain_of = ""  # the foreign key naming the parent, e.g. "case"

    class Meta:
        abstract = True

    def link(self, prev_digest: str) -> None:
        raise NotImplementedError

    @classmethod
    def head_subquery(cls, parent: Any, seq: Any) -> models.Subquery:
        """The digest of link `seq` of `parent` (both usually `OuterRef`s) as a scalar
        subquery: an action that locks the parent row reads the chain's head in its lock
        statement and links its new row with it, so `seal` has nothing left to read."""
        rows: Any = cls._default_manager
        return models.Subquery(
            rows.filter(**{f"{cls.chain_of}_id": parent, "seq": seq}).values("digest")[:1],
            output_field=models.CharField(),
        )

    def seal(self) -> None:
        row: Any = self  # the concrete table declares seq, digest and the parent key
        if row.digest:
            return
        parent = f"{self.chain_of}_id"
        rows: Any = type(self)._default_manager
        prev = (
            rows.filter(**{parent: getattr(row, parent), "seq": row.seq - 1})
            .values_list("digest", flat=True)
            .first()
        )
        self.link(prev or "")


class AuditEvent(PreparedSaves, AppendOnly):
    """Append-only record of a change to master data (catalogue, agreements, accounts...).
    Case changes have their own, richer log: cases.CaseEvent. Append-only in the database
    (triggers, integrity app) and SM3-chained per audited object (ADR 0092)."""

    # not auto_now_add: the time is part of the digest, computed before the INSERT
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField("操作", max_length=64)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象标识", max_length=64)
    summary = models.CharField("摘要", max_length=255, blank=True)
    data = models.JSONField("数据", default=dict, blank=True)
    prev_digest = models.CharField("前一记录摘要(SM3)", max_length=64, blank=True, editable=False)
    digest = models.CharField("摘要(SM3)", max_length=64, blank=True, editable=False)

    objects = AuditEventManager()
    append_only_rows = "audit rows"

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"

    def seal(self) -> None:
        if not self.digest:
            self.prev_digest = _audit_chain_head(self.object_type, self.object_id)
            self.digest = link_digest(self.prev_digest, audit_content(self))


def audit_content(row: Any) -> dict[str, Any]:
    """What an audit row's digest commits to (also used on historical models)."""
    return {
        "at": timestamp(row.at),
        "actor": row.actor_id,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "summary": row.summary,
        "data": row.data,
    }


def _audit_chain_heads(keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The newest digest of each object's chain, for many objects at once (locked on
    PostgreSQL like _audit_chain_head, in a fixed order so two writers cannot deadlock)."""
    if not keys:
        return {}
    names = sorted(f"audit:{t}:{i}" for t, i in keys)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 92))) "
                "FROM unnest(%s::text[]) AS k",
                [names],
            )
    heads: dict[tuple[str, str], str] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), 1000):
        chunk = ordered[start : start + 1000]
        rows = (
            AuditEvent.objects.filter(
                object_type__in={t for t, _ in chunk}, object_id__in={i for _, i in chunk}
            )
            .order_by("id")
            .values_list("object_type", "object_id", "digest")
        )
        wanted = set(chunk)
        for object_type, object_id, digest in rows:
            if (object_type, object_id) in wanted:
                heads[(object_type, object_id)] = digest
    return heads


def _audit_chain_head(object_type: str, object_id: str) -> str:
    """The digest of the object's newest audit row. On PostgreSQL a transaction-scoped
    advisory lock per object keeps two concurrent writers from both linking to the same
    row (SQLite's IMMEDIATE transactions already serialise every writer)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 92))",
                [f"audit:{object_type}:{object_id}"],
            )
    heads = _AUDIT_HEAD.fetch(None, object_type=object_type, object_id=object_id)
    return heads[0][0] if heads else ""


def _audit_head(key: None, object_type: str, object_id: str) -> Any:
    return (
        AuditEvent.objects.filter(object_type=object_type, object_id=object_id)
        .order_by("-id")
        .values_list("digest")[:1]
    )


# every audited write reads its chain's head: compiled once per connection (ADR 0137)
_AUDIT_HEAD = Prepared("audit_chain_head", _audit_head)


class RateLimitCounter(models.Model):
    """One fixed-window counter of `core.ratelimit` (public look-up per address and per case
    number, ...). In the database so that every server process counts in the same row, and
    incremented with one UPDATE so that concurrent requests are all counted (ADR 0091)."""

    key = models.CharField("计数键", max_length=200, primary_key=True)
    window_ends = models.DateTimeField("窗口结束", db_index=True)
    count = models.PositiveIntegerField("次数", default=0)

    class Meta:
        verbose_name = "频率限制计数"
        verbose_name_plural = "频率限制计数"

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class MasterDataVersion(models.Model):
    """One row: the version of the master data a process may cache (items,
    implementations, jurisdictions, working calendars; ADR 0119). Every change to those
    rows sets a new random `token` in the same transaction (core.versioned), so a commit
    is seen by every process on its next read of this row, and a rolled-back change
    leaves the token, and what was cached under it, as they were."""

    token = models.BigIntegerField("版本", default=0)

    class Meta:
        verbose_name = "主数据版本"
        verbose_name_plural = "主数据版本"


class ScheduledJob(models.Model):
    """One row per periodic job of `tongban run-worker` (core/jobs.py, ADR 0121). Every
    worker reads the row and moves `next_run_at` on with a compare-and-set; the one whose
    UPDATE matched enqueues the job's task, so a job runs once per interval however many
    workers run on however many machines."""

    name = models.CharField(max_length=64, primary_key=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    runs = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "定时任务"
        verbose_name_plural = "定时任务"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
