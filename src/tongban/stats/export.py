"""CSV and XLSX export of a statistics table (openpyxl writes the XLSX: the maintained,
pure-Python choice; see docs/adr/0060-statistics-and-ratings.md)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import Invalid

FORMATS = ("json", "csv", "xlsx")

HEADERS: dict[str, str] = {
    "month": "月份",
    "centre": "政务服务中心编号",
    "centre_label": "政务服务中心",
    "window": "窗口编号",
    "window_label": "窗口",
    "line": "业务类别编号",
    "line_label": "业务类别",
    "hour": "取号时段",
    "hour_label": "取号时段",
    "tickets": "取号数",
    "booked": "预约签到号",
    "called": "已叫号",
    "served": "已办理",
    "skipped": "过号",
    "average_wait_minutes": "平均等候(分钟)",
    "average_service_minutes": "平均办理(分钟)",
    "bookings": "预约数",
    "kept": "按约到场",
    "missed": "爽约",
    "cancelled": "已取消",
    "receiving": "收件地代码",
    "receiving_label": "收件地",
    "handling": "办理地代码",
    "handling_label": "办理地",
    "jurisdiction": "首问管辖地代码",
    "jurisdiction_label": "首问管辖地",
    "forwarded_to": "转办管辖地代码",
    "forwarded_to_label": "转办管辖地",
    "target": "被评价管辖地代码",
    "target_label": "被评价管辖地",
    "item": "事项编码",
    "item_label": "事项",
    "department": "部门类别",
    "department_label": "部门",
    "mode": "通办模式代码",
    "mode_label": "通办模式",
    "channel": "渠道代码",
    "channel_label": "渠道",
    "status": "状态代码",
    "status_label": "状态",
    "high_frequency": "高频",
    "high_frequency_label": "高频事项",
    "agreement": "协议ID",
    "agreement_label": "协议",
    "channel_kind": "评价渠道代码",
    "channel_kind_label": "评价渠道",
    "task_status": "整改状态代码",
    "task_status_label": "整改状态",
    "cases": "办件量",
    "decided": "已作出决定",
    "on_time": "按时决定",
    "on_time_rate": "按时率",
    "completed": "已办结",
    "receipt_hours": "收件→流转(小时)",
    "transfer_hours": "流转→受理(小时)",
    "review_hours": "受理→决定(小时)",
    "delivery_hours": "决定→送达(小时)",
    "total_hours": "收件→办结(小时)",
    "consultations": "咨询量",
    "forwarded": "转办",
    "answered": "已答复",
    "answer_rate": "答复率",
    "answer_hours": "平均答复时长(小时)",
    "ratings": "有效评价",
    "average": "平均分",
    "good_rate": "好评率",
    "satisfaction_rate": "满意率",
    "level_5": "非常满意",
    "level_4": "满意",
    "level_3": "基本满意",
    "level_2": "不满意",
    "level_1": "非常不满意",
    "bad": "差评",
    "rectification_open": "整改中",
    "rectification_appealed": "申诉待复核",
    "rectified": "已整改",
    "annulled": "复核撤销",
    "share": "占比",
    "role": "帮办代办方式代码",
    "role_label": "帮办代办方式",
    "consent_method": "同意方式代码",
    "consent_method_label": "同意方式",
    "records": "帮办代办记录",
    "fill_form": "填写申请表",
    "scan": "扫描上传材料",
    "submit": "提交申请",
    "follow_up": "跟踪办理进度",
    "collect_result": "领取办理结果",
}

CASE_COLUMNS = (
    "cases",
    "decided",
    "on_time",
    "on_time_rate",
    "completed",
    "receipt_hours",
    "transfer_hours",
    "review_hours",
    "delivery_hours",
    "total_hours",
)
CONSULTATION_COLUMNS = (
    "consultations",
    "forwarded",
    "answered",
    "answer_rate",
    "answer_hours",
)
RATING_COLUMNS = (
    "ratings",
    "average",
    "good_rate",
    "satisfaction_rate",
    "level_5",
    "level_4",
    "level_3",
    "level_2",
    "level_1",
    "bad",
    "rectification_open",
    "rectification_appealed",
    "rectified",
    "annulled",
)


ASSISTANCE_COLUMNS = ("records", "fill_form", "scan", "submit", "follow_up", "collect_result")


HEADERS_MEASURES = frozenset(
    CASE_COLUMNS + CONSULTATION_COLUMNS + RATING_COLUMNS + ASSISTANCE_COLUMNS
)


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def check_format(value: str | None) -> str:
    value = (value or "json").lower()
    if value not in FORMATS:
        raise Invalid(_("format is json, csv or xlsx."))
    return value


def group_columns(groups: Sequence[str]) -> list[str]:
    out: list[str] = []
    for g in groups:
        out += [g, f"{g}_label"]
    return out


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def render(
    fmt: str,
    name: str,
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    total: dict[str, Any] | None = None,
) -> HttpResponse:
    header = [HEADERS.get(c, c) for c in columns]
    body = [[_cell(row.get(c)) for c in columns] for row in rows]
    if total is not None and columns and columns[0] not in HEADERS_MEASURES:
        body.append(["合计" if i == 0 else _cell(total.get(c, "")) for i, c in enumerate(columns)])
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # BOM: Excel opens UTF-8 Chinese correctly
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(body)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=name[:31])
    sheet.append(header)
    for line in body:
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type=XLSX_CONTENT_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
