"""Written notices of a case as PDF (行政许可法 §32: every accept / refuse decision gets a
dated written notice; domain notes §2).

`notice_content(case, kind)` decides what a notice says (pure reading of the case and its
events); `render_notice(case, kind)` lays it out with core.pdf. Neither checks who
asks: callers fetch the case through a scoped selector first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Set
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from tongban.core.errors import Conflict, Invalid, NotFound, StrOrPromise
from tongban.core.masking import mask_name
from tongban.core.pdf import (
    Block,
    Fields,
    Grid,
    Heading,
    NumberedList,
    OfficialDocument,
    Para,
    SignatureLines,
    chinese_date,
    render,
)
from tongban.documents.links import notice_verification_url
from tongban.licences.models import Licence

if TYPE_CHECKING:
    from tongban.cases.models import Case, CaseEvent
    from tongban.regions.models import Jurisdiction

SHANGHAI = ZoneInfo("Asia/Shanghai")


class NoticeKind(models.TextChoices):
    ACCEPTANCE = "acceptance", gettext_noop("受理通知书")
    REFUSAL = "refusal", gettext_noop("不予受理通知书")
    SUPPLEMENT = "supplement", gettext_noop("补正材料通知书(一次性告知书)")
    CONDITIONAL_ACCEPTANCE = "conditional_acceptance", gettext_noop("容缺受理通知书")
    TRANSFER_SLIP = "transfer_slip", gettext_noop("跨域通办材料流转单")
    COMPLETION = "completion", gettext_noop("办结通知书")


class NoticeNotAvailable(Conflict):
    code = "notice_not_available"


APPEAL_RIGHTS = (
    "如对本决定不服,可以自收到本通知书之日起六十日内依法申请行政复议,"
    "也可以自收到本通知书之日起六个月内依法向人民法院提起行政诉讼。"
)


def local_date(value: dt.datetime | None) -> dt.date | None:
    return value.astimezone(SHANGHAI).date() if value is not None else None


def today_in_shanghai() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _last_event(case: Case, *actions: str) -> CaseEvent | None:
    return case.events.filter(action__in=actions).order_by("-seq").first()


# ---- which notices a case has: ONE rule per kind, asked by the case page's list of notices
# and by notice_content before it builds one (so a listed notice always renders) ----------

Available = Callable[["Case", Set[str]], bool]

# kind → (does the case have it, given the actions of its events; why not)
AVAILABILITY: dict[str, tuple[Available, StrOrPromise]] = {
    NoticeKind.ACCEPTANCE: (
        lambda case, done: case.accepted_at is not None or "accept" in done,
        _("The case has not been accepted."),
    ),
    NoticeKind.REFUSAL: (
        lambda case, done: "refuse" in done or bool(case.refusal_reason),
        _("The case was not refused."),
    ),
    NoticeKind.SUPPLEMENT: (
        lambda case, done: "request_supplement" in done,
        _("No supplement was requested."),
    ),
    NoticeKind.CONDITIONAL_ACCEPTANCE: (
        lambda case, done: "accept_with_commitment" in done,
        _("The case was not accepted with a commitment."),
    ),
    # the slip travels with the file from the receiving window, printed at receipt
    NoticeKind.TRANSFER_SLIP: (
        lambda case, done: case.receiving_jurisdiction_id is not None,
        _("An online case has no transfer of materials."),
    ),
    # a decision (准予 / 不予许可) is notified in writing once it is taken
    NoticeKind.COMPLETION: (
        lambda case, done: case.completed_at is not None or case.decided_at is not None,
        _("The case has not been completed."),
    ),
}


def _actions_done(case: Case) -> set[str]:
    return set(case.events.values_list("action", flat=True))


def available_notices(case: Case, done: Set[str] | None = None) -> list[str]:
    """The notices `case` has now, in NoticeKind order. `done`: the actions of its events,
    when the caller has them already."""
    done = _actions_done(case) if done is None else done
    return [kind for kind, (has, _why) in AVAILABILITY.items() if has(case, done)]


def _not_available(kind: str) -> NoticeNotAvailable:
    return NoticeNotAvailable(AVAILABILITY[kind][1], details={"kind": kind})


def _centre_name(case: Case, jurisdiction: Jurisdiction) -> str:
    window = case.receiving_window
    if window is not None and case.receiving_jurisdiction_id == jurisdiction.pk:
        return window.centre.name
    return jurisdiction.service_bureau or f"{jurisdiction.short_name}政务服务中心"


def _issuer(case: Case, jurisdiction: Jurisdiction | None) -> tuple[Jurisdiction, str]:
    """The issuing jurisdiction and body: the implementing department for the handling
    place (which decides), the service centre for the receiving place (which only receives
    and checks)."""
    jurisdiction = jurisdiction or case.handling_jurisdiction
    if jurisdiction.pk == case.handling_jurisdiction_id:
        return jurisdiction, case.implementation.department.name
    return jurisdiction, _centre_name(case, jurisdiction)


def _applicant_line(case: Case) -> str:
    applicant = case.applicant
    return applicant.name


def _received_sentence(case: Case) -> str:
    received = local_date(case.received_at)
    when = chinese_date(received) if received else ""
    return f"你(单位)于{when}提交的“{case.item.name}”申请(办件编号:{case.number})"


def _materials_rows(case: Case) -> list[list[str]]:
    from tongban.cases.models import CaseMaterial

    rows = []
    for index, m in enumerate(case.materials.order_by("pk"), start=1):
        state = _label(CaseMaterial.State, m.state)
        if m.state == CaseMaterial.State.BY_LICENCE and m.licence_reference:
            state = f"{state}({m.licence_reference})"
        rows.append([str(index), m.name, state])
    return rows


def _deadline_fields(case: Case) -> list[tuple[str, str]]:
    rows = [
        ("承诺时限", f"{case.promised_days}个工作日(自受理次日起算)"),
        ("法定时限", f"{case.statutory_days}个工作日"),
    ]
    if case.due_date:
        rows.append(("承诺办结日期", chinese_date(case.due_date)))
    return rows


def _mode_fields(case: Case) -> list[tuple[str, str]]:
    from tongban.catalog.models import Mode

    rows = [("通办模式", _label(Mode, case.mode))]
    if case.receiving_jurisdiction_id:
        rows.append(("收件地", case.receiving_jurisdiction.name))  # type: ignore[union-attr]
    rows.append(("办理地", case.handling_jurisdiction.name))
    return rows


# ---- one builder per kind: returns (issuing jurisdiction, issuer, date, blocks) ----------


def _acceptance(case: Case) -> tuple[Jurisdiction, str, dt.date, list[Block]]:
    event = _last_event(case, "accept")
    accepted = local_date(case.accepted_at) or (local_date(event.at) if event else None)
    if accepted is None:
        raise _not_available(NoticeKind.ACCEPTANCE)
    jurisdiction, issuer = _issuer(case, event.actor_jurisdiction if event else None)
    basis = (
        "根据《中华人民共和国行政许可法》第三十二条第一款第(五)项的规定,"
        if case.item.item_type == "licensing"
        else ""
    )
    blocks: list[Block] = [
        Para(
            f"{_received_sentence(case)},经审查,申请材料齐全、符合法定形式,"
            f"{basis}本机关决定予以受理。"
        ),
        Fields(
            [
                ("办件编号", case.number),
                ("受理事项", case.item.name),
                ("受理日期", chinese_date(accepted)),
                ("受理机关", issuer),
                *_mode_fields(case),
                *_deadline_fields(case),
            ],
            columns=2,
        ),
        Heading("已收申请材料"),
        Grid(["序号", "材料名称", "状态"], _materials_rows(case), widths=[0.1, 0.6, 0.3]),
        Para(
            "本机关将在承诺时限内作出决定。依法需要听证、检验、检测、鉴定或专家评审的,"
            "所需时间不计入办理时限,届时将另行书面告知。"
        ),
    ]
    return jurisdiction, issuer, accepted, blocks


def _refusal(case: Case) -> tuple[Jurisdiction, str, dt.date, list[Block]]:
    event = _last_event(case, "refuse")
    reason = (event.reason if event else "") or case.refusal_reason
    if event is None and not reason:
        raise _not_available(NoticeKind.REFUSAL)
    authority = ""
    if event is not None:
        authority = str(event.data.get("competent_authority") or "")
    authority = authority or case.competent_authority
    day = local_date(event.at) if event else today_in_shanghai()
    assert day is not None
    jurisdiction, issuer = _issuer(case, event.actor_jurisdiction if event else None)
    blocks: list[Block] = [
        Para(f"{_received_sentence(case)},经审查,本机关决定不予受理。理由如下:"),
        Para(reason or "(未填写)"),
    ]
    if authority:
        blocks.append(Para(f"该申请事项依法应当向{authority}提出,请向该机关申请。"))
    blocks.append(Para(APPEAL_RIGHTS))
    return jurisdiction, issuer, day, blocks


def _supplement(case: Case) -> tuple[Jurisdiction, str, dt.date, list[Block]]:
    from tongban.cases.models import CaseMaterial, Status

    event = _last_event(case, "request_supplement")
    if event is None:
        raise _not_available(NoticeKind.SUPPLEMENT)
    missing = [str(name) for name in event.data.get("missing") or []]
    if not missing:
        missing = list(
            case.materials.filter(state=CaseMaterial.State.MISSING).values_list("name", flat=True)
        )
    due_text = event.data.get("due") or (
        case.supplement_due.isoformat() if case.supplement_due else ""
    )
    try:
        due: dt.date | None = dt.date.fromisoformat(due_text) if due_text else None
    except ValueError as exc:
        raise Invalid(_("Bad supplement deadline.")) from exc
    jurisdiction = event.actor_jurisdiction
    if jurisdiction is None and case.status == Status.SUPPLEMENT_AT_RECEIPT:
        jurisdiction = case.receiving_jurisdiction
    jurisdiction, issuer = _issuer(case, jurisdiction)
    day = local_date(event.at)
    assert day is not None
    blocks: list[Block] = [
        Para(
            f"{_received_sentence(case)},申请材料不齐全或者不符合法定形式。"
            "根据《中华人民共和国行政许可法》第三十二条第一款第(四)项的规定,"
            f"现一次性告知你(单位)需要补正的全部内容(共{len(missing)}项):"
        ),
        NumberedList(missing or ["(未列明)"]),
    ]
    if event.reason:
        blocks.append(Para(f"说明:{event.reason}"))
    if due is not None:
        blocks.append(
            Para(
                f"请于{chinese_date(due)}前补正上述全部材料。补正材料齐全后,本机关将依法办理;"
                "逾期未补正的,本机关将依法终止办理。"
            )
        )
    blocks.append(Para("补正材料可通过原收件窗口、自助终端或网上办事大厅提交。"))
    return jurisdiction, issuer, day, blocks


def _conditional(case: Case) -> tuple[Jurisdiction, str, dt.date, list[Block]]:
    from tongban.cases.models import CaseMaterial

    event = _last_event(case, "accept_with_commitment")
    if event is None:
        raise _not_available(NoticeKind.CONDITIONAL_ACCEPTANCE)
    deferred = [str(n) for n in event.data.get("deferred") or []] or list(
        case.materials.filter(state=CaseMaterial.State.DEFERRED).values_list("name", flat=True)
    )
    due_text = event.data.get("commitment_due") or (
        case.commitment_due.isoformat() if case.commitment_due else ""
    )
    due = dt.date.fromisoformat(due_text) if due_text else None
    jurisdiction, issuer = _issuer(case, event.actor_jurisdiction)
    day = local_date(event.at)
    assert day is not None
    blocks: list[Block] = [
        Para(
            f"{_received_sentence(case)},主要申请材料齐全、符合法定形式,次要材料暂缺。"
            "你(单位)已签署容缺受理承诺书,本机关决定予以容缺受理。"
        ),
        Fields(
            [
                ("办件编号", case.number),
                ("受理事项", case.item.name),
                ("受理日期", chinese_date(day)),
                ("补齐期限", chinese_date(due) if due else "—"),
                *_deadline_fields(case),
            ],
            columns=2,
        ),
        Heading("容缺材料(须在补齐期限前补交)"),
        NumberedList(deferred or ["(未列明)"]),
        Para("逾期未补齐容缺材料的,本机关将终止办理,并记录你(单位)的承诺履行情况。"),
    ]
    return jurisdiction, issuer, day, blocks


def _transfer_slip(case: Case) -> tuple[Jurisdiction, str, dt.date, list[Block]]:
    from tongban.cases.models import CaseMaterial, Shipment

    if case.receiving_jurisdiction is None:
        raise _not_available(NoticeKind.TRANSFER_SLIP)
    event = _last_event(case, "transfer")
    day = local_date(event.at) if event else today_in_shanghai()
    assert day is not None
    jurisdiction, issuer = _issuer(case, case.receiving_jurisdiction)
    applicant = case.applicant
    window = case.receiving_window
    received = case.received_at.astimezone(SHANGHAI)
    fields: list[tuple[str, str]] = [
        ("办件编号", case.number),
        ("事项", case.item.name),
        ("申请人", applicant.name if applicant.kind == "enterprise" else mask_name(applicant.name)),
        ("证件号码", applicant.masked_identifier),
        *_mode_fields(case),
        ("收件窗口", f"{window.centre.name} {window.name}" if window else "—"),
        ("收件时间", f"{received:%Y-%m-%d %H:%M}"),
        ("流转日期", chinese_date(day)),
        ("实施部门", case.implementation.department.name),
    ]
    materials = [
        [
            str(index),
            m.name,
            _label(CaseMaterial.State, m.state),
            "是" if m.original_required else "否",
            "已寄出" if m.original_posted else ("—" if not m.original_required else "未寄出"),
        ]
        for index, m in enumerate(case.materials.order_by("pk"), start=1)
    ]
    shipments = [
        [
            _label(Shipment.Purpose, s.purpose),
            s.carrier,
            s.waybill_number,
            f"{s.shipped_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}",
            _label(Shipment.State, s.state),
        ]
        for s in case.shipments.filter(purpose=Shipment.Purpose.ORIGINALS).order_by("shipped_at")
    ]
    blocks: list[Block] = [
        Fields(fields, columns=2),
        Heading("材料清单"),
        Grid(
            ["序号", "材料名称", "状态", "需原件", "原件"],
            materials,
            widths=[0.08, 0.47, 0.17, 0.12, 0.16],
        ),
        Heading("纸质原件寄递"),
    ]
    if shipments:
        blocks.append(
            Grid(
                ["内容", "承运方", "运单号", "寄出时间", "状态"],
                shipments,
                widths=[0.15, 0.2, 0.25, 0.25, 0.15],
            )
        )
    else:
        blocks.append(Para("无纸质原件寄递(电子推送)。", indent=False))
    blocks.append(
        Para(
            "收件地已按办理地标准完成形式审查和身份核验;办理地收到电子材料后请核对并在系统中"
            "确认接收,纸质原件到达后另行签收。",
        )
    )
    blocks.append(SignatureLines(["移交人(收件地)签字:", "接收人(办理地)签字:"]))
    return jurisdiction, issuer, day, blocks


def _completion(case: Case) -> tuple[Jurisdiction, str, dt.date, list[Block]]:
    from tongban.catalog.models import DeliveryMethod

    done = case.completed_at or case.decided_at
    if done is None:
        raise _not_available(NoticeKind.COMPLETION)
    day = local_date(done)
    assert day is not None
    decision = _last_event(case, "approve", "deny")
    approved = decision is None or decision.action == "approve"
    jurisdiction, issuer = _issuer(case, case.handling_jurisdiction)
    result = "准予许可" if approved else "不予许可"
    if case.item.item_type != "licensing":
        result = "办理完成" if approved else "不予办理"
    fields: list[tuple[str, str]] = [
        ("办件编号", case.number),
        ("事项", case.item.name),
        ("办理结果", result),
        ("办结日期", chinese_date(day)),
    ]
    if approved and case.implementation.result_name:
        fields.append(("结果名称", case.implementation.result_name))
    # a licence still being signed has its final identifier already (ADR 0121)
    licence = (
        Licence.objects.filter(case=case, status__in=[Licence.Status.VALID, Licence.Status.SIGNING])
        .order_by("-pk")
        .first()
    )
    if licence is not None:
        fields.append(("电子证照标识", licence.identifier))
    fields.append(("送达方式", _label(DeliveryMethod, case.delivery_method)))
    for shipment in case.shipments.filter(purpose="result").order_by("shipped_at"):
        fields.append(("结果寄递", f"{shipment.carrier} {shipment.waybill_number}"))
    blocks: list[Block] = [
        Para(f"{_received_sentence(case)},已于{chinese_date(day)}办结。", indent=True),
        Fields(fields),
    ]
    if not approved and decision is not None and decision.reason:
        blocks += [Para(f"不予许可的理由:{decision.reason}"), Para(APPEAL_RIGHTS)]
    blocks += _joint_parts(case)
    if licence is not None:
        blocks.append(
            Para(
                "电子证照与纸质证照具有同等法律效力,可扫描二维码或登录平台核验;"
                "办理其他事项时可直接调用,无需重复提交。"
            )
        )
    blocks.append(Para("欢迎对本次服务作出评价(好差评)。"))
    return jurisdiction, issuer, day, blocks


def _joint_parts(case: Case) -> list[Block]:
    """多地联办: how each part ended; the failed ones make this a partial completion
    (部分办结, ADR 0094)."""
    from tongban.cases.actions import part_outcomes
    from tongban.cases.models import Status

    outcomes = part_outcomes(case)
    if not outcomes:
        return []
    rows = []
    for sub in case.subcases.select_related("item", "handling_jurisdiction").order_by("number"):
        outcome = outcomes[sub.number]
        if outcome == "succeeded":
            label = "已办成"
        elif outcome == "open":
            label = "办理中"
        else:
            label = "不予许可" if sub.status == Status.COMPLETED else _label(Status, sub.status)
        rows.append([sub.number, sub.handling_jurisdiction.short_name, sub.item.name, label])
    blocks: list[Block] = [
        Heading("联办部分办理情况"),
        Grid(["子件编号", "办理地", "事项", "结果"], rows, widths=[0.34, 0.16, 0.32, 0.18]),
    ]
    if "failed" in outcomes.values():
        blocks += [
            Para("上列未能办成的联办部分不影响其他部分的办理结果(部分办结)。"),
            Para(APPEAL_RIGHTS),
        ]
    return blocks


_BUILDERS = {
    NoticeKind.ACCEPTANCE: _acceptance,
    NoticeKind.REFUSAL: _refusal,
    NoticeKind.SUPPLEMENT: _supplement,
    NoticeKind.CONDITIONAL_ACCEPTANCE: _conditional,
    NoticeKind.TRANSFER_SLIP: _transfer_slip,
    NoticeKind.COMPLETION: _completion,
}


def notice_content(case: Case, kind: str) -> OfficialDocument:
    """What the notice of `kind` for `case` says. Raises NotFound for an unknown kind (it
    names a document that does not exist, on the API and the web alike) and
    NoticeNotAvailable (409) when the case has no such notice (`available_notices`, e.g. a
    refusal notice for a case that was never refused)."""
    try:
        notice_kind = NoticeKind(kind)
    except ValueError:
        raise NotFound(
            _("Unknown notice kind."),
            code="unknown_notice_kind",
            details={"kind": kind[:32], "allowed": list(NoticeKind.values)},
        ) from None
    if notice_kind not in available_notices(case):
        raise _not_available(notice_kind)
    jurisdiction, issuer, day, blocks = _BUILDERS[notice_kind](case)
    is_transfer = notice_kind == NoticeKind.TRANSFER_SLIP
    return OfficialDocument(
        jurisdiction=jurisdiction.name,
        issuer=issuer,
        title=str(notice_kind.label),
        number=f"办件编号:{case.number}",
        issued_on=day,
        qr_url=notice_verification_url(case.number, notice_kind.value, day.isoformat()),
        addressee="" if is_transfer else _applicant_line(case),
        blocks=blocks,
        seal_note="(收件窗口盖章)" if is_transfer else "(印章)",
        subject=f"{notice_kind.label} {case.number}",
        keywords=f"{case.number},{notice_kind.value}",
    )


def render_notice(case: Case, kind: str) -> bytes:
    """The notice of `kind` (a NoticeKind value) for `case` as an A4 PDF."""
    return render(notice_content(case, kind))
