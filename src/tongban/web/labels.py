"""Labels of choices owned by other apps, shown in the current language.

The models keep their Simplified Chinese labels (the source language of the UI); the
web app's message catalogue (src/tongban/locale) holds their English translations. The
`gettext_noop` list below exists so that `tongban makemessages` extracts them."""

from __future__ import annotations

from django.db import models
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from tongban.accounts.models import Applicant, Role
from tongban.cases.models import CaseMaterial, Shipment, Status
from tongban.cases.selectors import OverdueLevel
from tongban.cases.workflow import ACTION_LABELS
from tongban.catalog.models import Channel, DeliveryMethod, ItemImplementation, Material, Mode

CHOICES: dict[str, type[models.TextChoices]] = {
    "status": Status,
    "material_state": CaseMaterial.State,
    "shipment_purpose": Shipment.Purpose,
    "shipment_destination": Shipment.Destination,
    "shipment_state": Shipment.State,
    "mode": Mode,
    "channel": Channel,
    "delivery": DeliveryMethod,
    "requirement": Material.Requirement,
    "form": Material.Form,
    "result_type": ItemImplementation.ResultType,
    "role": Role,
    "applicant_kind": Applicant.Kind,
}


def is_english() -> bool:
    return (translation.get_language() or "zh-hans").startswith("en")


def choice_label(kind: str, value: str | None) -> str:
    """The label of `value` in the choices named `kind`, translated; the raw value if
    unknown (never an exception in a template)."""
    if value is None or value == "":
        return ""
    choices = CHOICES.get(kind)
    if choices is None:
        return str(value)
    try:
        return gettext(str(choices(value).label))
    except ValueError:
        return str(value)


def status_label(value: str) -> str:
    return choice_label("status", value)


def action_label(action: str) -> str:
    zh, en = ACTION_LABELS.get(action, (action, action))
    return en if is_english() else zh


def overdue_label(level: str) -> str:
    return gettext(OverdueLevel.LABELS.get(level, level))


# fmt: off
_EXTRACTED = [
    # cases.Status
    gettext_noop("已收件"), gettext_noop("收件待补正"), gettext_noop("已形式审查"),
    gettext_noop("材料流转中"), gettext_noop("待受理"), gettext_noop("受理前待补正"),
    gettext_noop("已受理(审查中)"), gettext_noop("容缺受理"), gettext_noop("审查中待补正"),
    gettext_noop("特别程序(暂停计时)"), gettext_noop("准予许可"), gettext_noop("不予许可"),
    gettext_noop("已出证"), gettext_noop("结果寄递中"), gettext_noop("结果送往收件窗口"),
    gettext_noop("待窗口领取"), gettext_noop("已送达"), gettext_noop("已办结"),
    gettext_noop("不予受理"), gettext_noop("已撤回"), gettext_noop("已终止"),
    # CaseMaterial.State
    gettext_noop("已提交"), gettext_noop("缺失"), gettext_noop("容缺后补"),
    gettext_noop("电子证照免提交"), gettext_noop("不适用"),
    # Shipment
    gettext_noop("纸质原件"), gettext_noop("办理结果"), gettext_noop("办理地"),
    gettext_noop("申请人"), gettext_noop("收件窗口"), gettext_noop("运输中"),
    gettext_noop("已签收"), gettext_noop("已退回"),
    # catalog
    gettext_noop("全程网办"), gettext_noop("异地代收代办"), gettext_noop("多地联办"),
    gettext_noop("窗口"), gettext_noop("自助终端"), gettext_noop("网上办事大厅"),
    gettext_noop("移动端"), gettext_noop("邮政寄递"), gettext_noop("窗口领取"),
    gettext_noop("网络送达"), gettext_noop("必须提交"), gettext_noop("选择提交"),
    gettext_noop("可容缺"), gettext_noop("原件"), gettext_noop("复印件"),
    gettext_noop("电子材料"), gettext_noop("证照"), gettext_noop("批准文书"),
    gettext_noop("办理结果告知"),
    # accounts
    gettext_noop("窗口收件人员"), gettext_noop("审批经办人员"), gettext_noop("部门负责人"),
    gettext_noop("管辖地管理员"), gettext_noop("监督人员"), gettext_noop("平台管理员"),
    gettext_noop("自然人"), gettext_noop("法人/企业"),
    # overdue levels
    gettext_noop("正常"), gettext_noop("预警"), gettext_noop("超期"),
    # documents.NoticeKind
    gettext_noop("受理通知书"), gettext_noop("不予受理通知书"),
    gettext_noop("补正材料通知书(一次性告知书)"), gettext_noop("容缺受理通知书"),
    gettext_noop("跨域通办材料流转单"), gettext_noop("办结通知书"),
]
# fmt: on
