from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pypdfium2
import pytest
from pypdf import PdfReader

from tongban.core.errors import Conflict, NotFound
from tongban.documents.links import read_notice_token
from tongban.documents.notices import NoticeKind, available_notices, render_notice
from tongban.testing.licences import add_event, make_case

UTC = dt.UTC


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def _dark_fraction(pdf: bytes) -> float:
    """Render page 1 at 72 dpi and return the fraction of dark pixels."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=1).to_pil().convert("L")
    finally:
        document.close()
    histogram = image.histogram()  # 256 buckets of grey levels
    return sum(histogram[:128]) / sum(histogram)


def _assert_renders(pdf: bytes, *needles: str) -> str:
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 portrait
    text = _text(pdf)
    for needle in needles:
        assert re.sub(r"\s+", "", needle) in text, needle
    # glyphs really drawn: a blank page (missing font) has almost no dark pixels
    assert _dark_fraction(pdf) > 0.01
    return text


def _embedded_fonts(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    names = set()
    page: Any
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is not None and "/FontFile2" in descriptor.get_object():
                    names.add(str(font["/BaseFont"]))
    return names


@pytest.fixture
def case(world):
    return make_case(
        world,
        status="pending_acceptance",
        accepted=False,
        received_at=dt.datetime(2025, 3, 6, 2, 0, tzinfo=UTC),
    )


def test_acceptance_notice(case, world):
    case.status = "accepted"
    case.accepted_at = dt.datetime(2025, 3, 6, 17, 30, tzinfo=UTC)  # 7 March in Shanghai
    case.due_date = dt.date(2025, 3, 12)
    case.save()
    add_event(case, "accept", jurisdiction=world.donghu, at=case.accepted_at)
    pdf = render_notice(case, "acceptance")
    text = _assert_renders(
        pdf,
        "受理通知书",
        case.number,
        "武汉东湖新技术开发区",
        "东湖市场监督管理局",
        world.applicants["enterprise"].name,
        "企业设立登记",
        "2025年3月7日",  # the date is the Asia/Shanghai date of acceptance
        "2025年3月12日",
        "公司登记(备案)申请书",
        "3个工作日",
    )
    assert "决定予以受理" in text
    assert _embedded_fonts(pdf), "the CJK font must be embedded"


def test_refusal_notice_names_reasons_authority_and_appeal_rights(case, world):
    add_event(
        case,
        "refuse",
        to_status="refused",
        jurisdiction=world.donghu,
        reason="申请事项不属于本机关职权范围",
        data={"competent_authority": "武汉市市场监督管理局"},
        at=dt.datetime(2025, 3, 10, 3, 0, tzinfo=UTC),
    )
    _assert_renders(
        render_notice(case, NoticeKind.REFUSAL),
        "不予受理通知书",
        case.number,
        "申请事项不属于本机关职权范围",
        "武汉市市场监督管理局",
        "六十日内依法申请行政复议",
        "六个月内依法向人民法院提起行政诉讼",
        "2025年3月10日",
    )


def test_supplement_notice_lists_every_missing_item_and_the_deadline(case, world):
    case.status = "supplement_at_receipt"
    case.save()
    add_event(
        case,
        "request_supplement",
        jurisdiction=world.huangzhou,
        data={"missing": ["公司章程", "住所使用证明", "股东身份证明"], "due": "2025-03-14"},
        reason="章程未签字",
        at=dt.datetime(2025, 3, 6, 5, 0, tzinfo=UTC),
    )
    text = _assert_renders(
        render_notice(case, "supplement"),
        "补正材料通知书",
        "一次性告知书",
        case.number,
        "黄冈市黄州区",  # issued by the receiving place that asked for it
        "黄州政务服务中心",
        "1.公司章程",
        "2.住所使用证明",
        "3.股东身份证明",
        "共3项",
        "2025年3月14日",
        "章程未签字",
    )
    assert "东湖市场监督管理局" not in text


def test_conditional_acceptance_notice(case, world):
    add_event(
        case,
        "accept_with_commitment",
        to_status="accepted_conditionally",
        jurisdiction=world.donghu,
        data={"deferred": ["住所使用证明"], "commitment_due": "2025-03-20"},
    )
    _assert_renders(
        render_notice(case, "conditional_acceptance"),
        "容缺受理通知书",
        case.number,
        "容缺受理承诺书",
        "住所使用证明",
        "2025年3月20日",
    )


def test_transfer_slip_lists_materials_originals_and_waybill(case, world):
    from tongban.cases.models import Shipment

    case.materials.filter(original_required=True).update(original_posted=True)
    Shipment.objects.create(
        case=case,
        purpose="originals",
        destination="handling_place",
        carrier="中国邮政EMS",
        waybill_number="EMS1234567890CN",
        shipped_at=dt.datetime(2025, 3, 6, 6, 0, tzinfo=UTC),
    )
    add_event(case, "transfer", to_status="in_transfer", jurisdiction=world.huangzhou)
    text = _assert_renders(
        render_notice(case, "transfer_slip"),
        "跨域通办材料流转单",
        case.number,
        "黄冈市黄州区",
        "武汉东湖新技术开发区",
        "公司登记(备案)申请书",
        "公司章程",
        "中国邮政EMS",
        "EMS1234567890CN",
        "已寄出",
        "移交人(收件地)签字",
        "接收人(办理地)签字",
    )
    # the agent's ID number never appears in full on a travelling document
    assert world.applicants["enterprise"].agent_id_number not in text


def test_transfer_slip_for_an_online_case_is_not_available(world):
    online = make_case(world, receiving=None, mode="online", status="accepted")
    with pytest.raises(Conflict) as error:
        render_notice(online, "transfer_slip")
    assert error.value.code == "notice_not_available"


def test_completion_notice_with_the_licence(pki, world):
    from tongban.testing.licences import issue_signed

    case = make_case(world, status="approved")
    add_event(case, "approve", jurisdiction=world.donghu)
    licence = issue_signed(case, None)
    case.status = "completed"
    case.completed_at = dt.datetime(2025, 3, 11, 8, 0, tzinfo=UTC)
    case.save()
    _assert_renders(
        render_notice(case, "completion"),
        "办结通知书",
        case.number,
        "准予许可",
        "营业执照",
        licence.identifier,
        "2025年3月11日",
        "邮政寄递",
    )


def test_completion_of_a_denied_case_carries_reasons_and_rights(world):
    case = make_case(world, status="denied")
    add_event(case, "deny", jurisdiction=world.donghu, reason="经营范围涉及前置审批")
    case.decided_at = dt.datetime(2025, 3, 11, 8, 0, tzinfo=UTC)
    case.save()
    _assert_renders(
        render_notice(case, "completion"),
        "不予许可",
        "经营范围涉及前置审批",
        "六十日内依法申请行政复议",
    )


@pytest.mark.parametrize(
    "kind", ["acceptance", "refusal", "supplement", "conditional_acceptance", "completion"]
)
def test_notices_for_decisions_not_taken_are_not_available(case, kind):
    assert kind not in available_notices(case)
    with pytest.raises(Conflict) as error:
        render_notice(case, kind)
    assert error.value.code == "notice_not_available"


def test_unknown_kind(case):
    with pytest.raises(NotFound) as error:
        render_notice(case, "birthday_card")
    assert error.value.code == "unknown_notice_kind"


def test_qr_target_is_a_signed_public_link(case, world, client, settings):
    settings.TONGBAN_PUBLIC_BASE_URL = "https://tongban.example.gov.cn"
    add_event(case, "refuse", reason="不属于受理范围", data={"competent_authority": "某局"})
    from tongban.documents.notices import notice_content

    document = notice_content(case, "refusal")
    prefix = "https://tongban.example.gov.cn/verify/notices/"
    assert document.qr_url.startswith(prefix)
    token = document.qr_url.removeprefix(prefix)
    notice = read_notice_token(token)
    assert notice is not None and (notice.case_number, notice.kind) == (case.number, "refusal")
    response = client.get(f"/verify/notices/{token}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "不予受理通知书" in html and case.number in html and "真实有效" in html
    assert world.applicants["enterprise"].name not in html
    forged = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    assert client.get(f"/verify/notices/{forged}").status_code == 404
