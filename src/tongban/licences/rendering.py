"""The printable form (版式文件) of an e-licence: an A4 landscape page in the manner of a
business licence (营业执照): framed, the licence name as title, the identifier, a table of
the structured fields, the issuer and date, and a QR code to the public verification page."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from tongban.core.links import public_url
from tongban.core.pdf import Fields, OfficialDocument, Para, render
from tongban.licences.types import licence_type, ordered_rows


def licence_verification_url(identifier: str) -> str:
    return public_url(f"/verify/{quote(identifier, safe='.')}")


def licence_document(data: dict[str, Any]) -> OfficialDocument:
    """Lay out from the signed structured data only, so the PDF shows nothing that the
    data signature does not cover."""
    issued_on = dt.date.fromisoformat(data["issued_on"])
    # JSON objects keep no order (PostgreSQL jsonb sorts keys): the licence type gives it
    spec = licence_type(data["licence_type_code"])
    rows = ordered_rows(data["licence_type_code"], data["fields"])
    rows += [
        (spec.issuer_label if spec else "发证机关", data["issuer"]["name"]),
        (
            spec.date_label if spec else "发证日期",
            f"{issued_on.year}年{issued_on.month}月{issued_on.day}日",
        ),
    ]
    return OfficialDocument(
        jurisdiction=data["issuer"]["jurisdiction_name"],
        issuer=data["issuer"]["name"],
        title=data["licence_name"],
        number=f"证照标识:{data['identifier']}",
        issued_on=issued_on,
        qr_url=licence_verification_url(data["identifier"]),
        qr_caption="扫码核验证照",
        blocks=[
            Fields(rows, columns=2, label_width_mm=38, large=True),
            Para(
                "本电子证照由发证机关依法签发,附电子签名,与纸质证照具有同等法律效力。"
                "可扫描二维码或访问平台核验页面核验真伪与状态。",
                indent=False,
            ),
        ],
        seal_note="(电子签章)",
        subject=f"{data['licence_name']} {data['identifier']}",
        keywords=data["identifier"],
        landscape=True,
        frame=True,
    )


def render_licence_pdf(data: dict[str, Any]) -> bytes:
    return render(licence_document(data))
