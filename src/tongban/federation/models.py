"""The federation's tables: the message log of both directions (the evidence, X-Road's
model: every message kept with the signature it travelled under), the per-case sequence
cursors, the refusals, the agreement handshakes and the health of each peer.

Message bodies and signed forms can carry applicant data (a case transfer), so they are
encrypted at rest like every other personal datum (core.fields, ADR 0098)."""

from __future__ import annotations

from django.db import models

from tongban.core.fields import EncryptedJSONField, EncryptedTextField


class OutboundMessage(models.Model):
    """A message to a peer, written in the same transaction as the change it reports and
    delivered at least once by `tongban federation deliver` (delivery.py)."""

    class State(models.TextChoices):
        PENDING = "pending", "待发送"
        DELIVERED = "delivered", "已送达"
        REFUSED = "refused", "对方拒收"

    message_id = models.CharField("报文编号", max_length=36, unique=True)
    peer = models.CharField("接收节点", max_length=32, db_index=True)
    kind = models.CharField("报文类型", max_length=48)
    case_ref = models.CharField("办件编号", max_length=32, blank=True, default="")
    seq = models.PositiveIntegerField("办件内序号", default=0)
    jurisdiction = models.CharField("代表管辖地", max_length=12)
    agreement_code = models.CharField("协议编号", max_length=64, blank=True, default="")
    agreement_version = models.PositiveIntegerField("协议版本", null=True, blank=True)
    agreement_fingerprint = models.CharField("协议指纹", max_length=64, blank=True, default="")
    body = EncryptedJSONField("内容", default=dict)
    digest = models.CharField("内容摘要(SHA-256)", max_length=64)
    created_at = models.DateTimeField("创建时间")
    state = models.CharField(
        "状态", max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试", null=True, blank=True)
    last_attempt_at = models.DateTimeField("最近尝试", null=True, blank=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)
    error_code = models.CharField("错误代码", max_length=64, blank=True, default="")
    last_error = models.CharField("最近错误", max_length=255, blank=True, default="")
    jws = EncryptedTextField("最近发送的签名报文", blank=True, default="")
    receipt = EncryptedTextField("对方签名回执", blank=True, default="")
    receipt_status = models.CharField("回执状态", max_length=16, blank=True, default="")
    claimed_by = models.CharField("处理进程", max_length=32, blank=True, default="")
    claimed_at = models.DateTimeField("领取时间", null=True, blank=True)

    class Meta:
        verbose_name = "发出报文"
        verbose_name_plural = "发出报文"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="fed_out_due_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["peer", "case_ref", "seq"],
                condition=models.Q(seq__gt=0),
                name="fed_out_unique_case_seq",
            )
        ]

    def __str__(self) -> str:
        return f"→{self.peer} {self.kind} {self.case_ref}#{self.seq}"


class InboundMessage(models.Model):
    """A message a peer sent and this node accepted, as received (signed form included).
    `held` waits for the messages before it in its case's sequence."""

    class State(models.TextChoices):
        HELD = "held", "等待前序报文"
        APPLIED = "applied", "已处理"

    message_id = models.CharField("报文编号", max_length=36)
    peer = models.CharField("发送节点", max_length=32, db_index=True)
    kind = models.CharField("报文类型", max_length=48)
    case_ref = models.CharField("办件编号", max_length=32, blank=True, default="")
    seq = models.PositiveIntegerField("办件内序号", default=0)
    jurisdiction = models.CharField("代表管辖地", max_length=12)
    agreement_code = models.CharField("协议编号", max_length=64, blank=True, default="")
    agreement_version = models.PositiveIntegerField("协议版本", null=True, blank=True)
    body = EncryptedJSONField("内容", default=dict)
    digest = models.CharField("内容摘要(SHA-256)", max_length=64)
    created_at = models.DateTimeField("发送方创建时间")
    signed_at = models.DateTimeField("签名时间")
    received_at = models.DateTimeField("接收时间")
    certificate = models.CharField("签名证书指纹", max_length=64)
    jws = EncryptedTextField("签名报文")
    state = models.CharField("状态", max_length=16, choices=State.choices, db_index=True)
    applied_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        verbose_name = "收到报文"
        verbose_name_plural = "收到报文"
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["peer", "message_id"], name="fed_in_unique_id"),
            models.UniqueConstraint(
                fields=["peer", "case_ref", "seq"],
                condition=models.Q(seq__gt=0),
                name="fed_in_unique_case_seq",
            ),
        ]

    def __str__(self) -> str:
        return f"←{self.peer} {self.kind} {self.case_ref}#{self.seq}"


class CaseCursor(models.Model):
    """Per peer and case: the last sequence number assigned (outbound) or applied
    (inbound). Locked while a message of the case is numbered or applied."""

    class Direction(models.TextChoices):
        OUT = "out", "发出"
        IN = "in", "收到"

    peer = models.CharField("对方节点", max_length=32)
    case_ref = models.CharField("办件编号", max_length=32)
    direction = models.CharField("方向", max_length=3, choices=Direction.choices)
    last_seq = models.PositiveIntegerField("最后序号", default=0)

    class Meta:
        verbose_name = "办件报文序号"
        verbose_name_plural = "办件报文序号"
        constraints = [
            models.UniqueConstraint(
                fields=["peer", "case_ref", "direction"], name="fed_unique_cursor"
            )
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.peer} {self.case_ref}: {self.last_seq}"


class RejectedMessage(models.Model):
    """A message this node refused, with the code it answered: evidence of attempts with
    bad signatures, unknown senders, replays. The sender and id are as claimed (unproven)."""

    received_at = models.DateTimeField("接收时间", db_index=True)
    claimed_peer = models.CharField("声称的发送节点", max_length=64, blank=True, default="")
    claimed_message_id = models.CharField("声称的报文编号", max_length=64, blank=True, default="")
    code = models.CharField("错误代码", max_length=64, db_index=True)
    reason = models.CharField("说明", max_length=255, blank=True, default="")
    remote_address = models.CharField("来源地址", max_length=64, blank=True, default="")
    jws = EncryptedTextField("收到的内容(截断)", blank=True, default="")

    class Meta:
        verbose_name = "拒收报文"
        verbose_name_plural = "拒收报文"
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.code} {self.claimed_peer}"


class AgreementCheck(models.Model):
    """The result of the last agreement handshake with a peer for one code and version:
    cases under the agreement go to that peer only while the fingerprints match."""

    peer = models.CharField("对方节点", max_length=32)
    agreement_code = models.CharField("协议编号", max_length=64)
    agreement_version = models.PositiveIntegerField("协议版本")
    fingerprint = models.CharField("本节点协议指纹", max_length=64)
    agreed = models.BooleanField("一致")
    peer_fingerprint = models.CharField("对方协议指纹", max_length=64, blank=True, default="")
    error_code = models.CharField("错误代码", max_length=64, blank=True, default="")
    checked_at = models.DateTimeField("核对时间")

    class Meta:
        verbose_name = "跨节点协议核对"
        verbose_name_plural = "跨节点协议核对"
        constraints = [
            models.UniqueConstraint(
                fields=["peer", "agreement_code", "agreement_version"],
                name="fed_unique_agreement_check",
            )
        ]

    def __str__(self) -> str:
        return f"{self.peer} {self.agreement_code} v{self.agreement_version}"


class PeerStatus(models.Model):
    """Delivery health of one peer, kept by the delivery worker (operations page)."""

    peer = models.CharField("对方节点", max_length=32, unique=True)
    last_success_at = models.DateTimeField("最近成功", null=True, blank=True)
    last_failure_at = models.DateTimeField("最近失败", null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField("连续失败次数", default=0)
    last_error = models.CharField("最近错误", max_length=255, blank=True, default="")

    class Meta:
        verbose_name = "对方节点"
        verbose_name_plural = "对方节点"
        ordering = ["peer"]

    def __str__(self) -> str:
        return self.peer


class ReplicatedCaseEvent(models.Model):
    """An event of a case's leg owned by a peer node, as that node recorded it: each leg's
    events are written only by its owner; the other node holds this copy, so both can
    show one timeline (selectors.case_timeline). No personal data: the actor appears as
    role and jurisdiction only."""

    peer = models.CharField("所属节点", max_length=32)
    case_ref = models.CharField("办件编号", max_length=32, db_index=True)
    seq = models.PositiveIntegerField("报文序号")
    event_seq = models.PositiveIntegerField("对方事件序号")
    action = models.CharField("动作", max_length=32)
    from_status = models.CharField("原状态", max_length=32, blank=True)
    to_status = models.CharField("新状态", max_length=32)
    practice_code = models.PositiveSmallIntegerField("办件状态代码")
    actor_role = models.CharField("操作角色", max_length=16, blank=True)
    actor_jurisdiction = models.CharField("操作方管辖地", max_length=12, blank=True)
    leg = models.CharField("环节", max_length=12)
    at = models.DateTimeField("时间")
    reason = models.TextField("理由/说明", blank=True)
    message = models.OneToOneField(
        InboundMessage, verbose_name="报文", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "对方节点办件事件"
        verbose_name_plural = "对方节点办件事件"
        ordering = ["case_ref", "at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["peer", "case_ref", "event_seq"], name="fed_unique_replicated_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.peer} {self.case_ref} {self.action}"


class CaseReplica(models.Model):
    """Marks a `Case` of this node as the replica of a case received on another node
    (`case.transfer`, ADR 0127): this node owns the handling leg and acts on it; the origin
    node owns the receiving leg and the applicant relation (it alone notifies the
    applicant). The files stay on the origin node: their references and SHA-256 are here."""

    case = models.OneToOneField(
        "cases.Case", verbose_name="办件", on_delete=models.PROTECT, related_name="replica"
    )
    origin_node = models.CharField("来源节点", max_length=32)
    origin_number = models.CharField("来源办件编号", max_length=32)
    files = models.JSONField("材料文件(引用与SHA-256)", default=list, blank=True)
    licences = models.JSONField("引用电子证照", default=list, blank=True)
    message = models.OneToOneField(
        InboundMessage, verbose_name="移交报文", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "跨节点办件副本"
        verbose_name_plural = "跨节点办件副本"
        constraints = [
            models.UniqueConstraint(
                fields=["origin_node", "origin_number"], name="fed_unique_replica_origin"
            )
        ]

    def __str__(self) -> str:
        return f"{self.origin_node}:{self.origin_number}"


class ReconcileDay(models.Model):
    """Statistics reconciliation (issue 13 §7, ADR 0133): for one peer, one cross-node
    agreement and one day (China Standard Time), this node's own figures and the figures
    the peer last reported, each as the case numbers per measure (sent, received,
    accepted, completed), so a difference names the cases. Case numbers only: no
    personal data. Written only by federation.reconcile."""

    peer = models.CharField("对方节点", max_length=32)
    agreement_code = models.CharField("协议编号", max_length=64)
    agreement_version = models.PositiveIntegerField("协议版本")
    day = models.DateField("日期")
    own = models.JSONField("本节点数据", default=dict)
    own_at = models.DateTimeField("本节点统计时间")
    theirs = models.JSONField("对方节点数据", null=True, blank=True)
    theirs_at = models.DateTimeField("对方统计时间", null=True, blank=True)
    theirs_message = models.CharField("对方报文编号", max_length=36, blank=True, default="")

    class Meta:
        verbose_name = "跨节点统计核对"
        verbose_name_plural = "跨节点统计核对"
        ordering = ["peer", "agreement_code", "-day"]
        constraints = [
            models.UniqueConstraint(
                fields=["peer", "agreement_code", "agreement_version", "day"],
                name="fed_unique_reconcile_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.peer} {self.agreement_code} v{self.agreement_version} {self.day}"
