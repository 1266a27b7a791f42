"""A small layout vocabulary on top of reportlab's platypus for official documents:
a header with the issuing jurisdiction and a QR code, a centred title, the document
number, body blocks (paragraphs, numbered lists, field tables, grids) and the issuer's
signature block. Notices (documents.notices) and licences (licences.rendering) describe
their content with these blocks; this module only lays them out.

All text is escaped here: callers pass plain strings, never reportlab markup."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from tongban.core.fonts import cjk_font_name

INK = colors.HexColor("#1a1a1a")
RULE = colors.HexColor("#9a1c1c")  # the red rule of Chinese official documents
MUTED = colors.HexColor("#555555")


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# ---- content blocks ---------------------------------------------------------------


@dataclass
class Para:
    text: str
    indent: bool = True  # first-line indent of two characters, as in official documents


@dataclass
class Heading:
    text: str


@dataclass
class NumberedList:
    items: Sequence[str]


@dataclass
class Fields:
    """Label/value rows, e.g. 办件编号 | 4211...; `columns=2` puts two pairs on a row."""

    rows: Sequence[tuple[str, str]]
    columns: int = 1
    label_width_mm: float = 28
    large: bool = False  # bigger type and taller rows, for licences


@dataclass
class Grid:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    widths: Sequence[float] | None = None  # fractions of the text width


@dataclass
class SignatureLines:
    """Blank lines to sign on paper, e.g. for the transfer slip."""

    labels: Sequence[str]


Block = Para | Heading | NumberedList | Fields | Grid | SignatureLines


@dataclass
class OfficialDocument:
    jurisdiction: str  # issuing jurisdiction, e.g. 黄冈市黄州区
    issuer: str  # issuing body, e.g. 黄州市场监督管理局
    title: str
    number: str  # document / case number line
    issued_on: dt.date
    qr_url: str
    qr_caption: str = "扫码核验"
    addressee: str = ""
    blocks: list[Block] = field(default_factory=list)
    seal_note: str = "(印章)"
    subject: str = ""
    keywords: str = ""
    landscape: bool = False
    frame: bool = False  # a double border, for licences


# ---- layout ------------------------------------------------------------------------


@dataclass
class _Styles:
    body: ParagraphStyle
    body_first: ParagraphStyle
    title: ParagraphStyle
    small: ParagraphStyle
    small_right: ParagraphStyle
    heading: ParagraphStyle
    cell: ParagraphStyle
    label: ParagraphStyle
    issuer: ParagraphStyle
    right: ParagraphStyle


def _styles(title_size: float) -> _Styles:
    font = cjk_font_name()
    base = ParagraphStyle(
        "body", fontName=font, fontSize=11.5, leading=19, textColor=INK, wordWrap="CJK"
    )
    return _Styles(
        body=base,
        body_first=ParagraphStyle("body_first", parent=base, firstLineIndent=23),
        title=ParagraphStyle(
            "title",
            parent=base,
            fontSize=title_size,
            leading=title_size * 1.4,
            alignment=TA_CENTER,
            spaceBefore=4,
            spaceAfter=2,
        ),
        small=ParagraphStyle("small", parent=base, fontSize=9, leading=12, textColor=MUTED),
        small_right=ParagraphStyle(
            "small_right", parent=base, fontSize=9.5, leading=13, alignment=TA_RIGHT
        ),
        heading=ParagraphStyle(
            "heading", parent=base, fontSize=12.5, leading=20, spaceBefore=6, spaceAfter=2
        ),
        cell=ParagraphStyle("cell", parent=base, fontSize=10, leading=14),
        label=ParagraphStyle("label", parent=base, fontSize=10, leading=14, textColor=MUTED),
        issuer=ParagraphStyle("issuer", parent=base, fontSize=14, leading=19, alignment=TA_LEFT),
        right=ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
    )


def _qr(url: str, size: float) -> Flowable:
    """reportlab's QR flowable draws the modules straight on the canvas (its graphics
    widget builds one shape object per module and is several times slower)."""
    return QrCode(url, width=size, height=size, qrLevel="M")


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


class _Rule(Flowable):
    def __init__(self, width: float, thickness: float = 1.2) -> None:
        super().__init__()
        self.width = width
        self.thickness = thickness
        self.height = 3 * mm

    def draw(self) -> None:
        self.canv.setStrokeColor(RULE)
        self.canv.setLineWidth(self.thickness)
        self.canv.line(0, self.height / 2, self.width, self.height / 2)


def _header(doc: OfficialDocument, styles: _Styles, width: float) -> list[Flowable]:
    qr_size = 27 * mm
    left = [_p(doc.jurisdiction, styles.small), _p(doc.issuer, styles.issuer)]
    right = [_qr(doc.qr_url, qr_size), _p(doc.qr_caption, styles.small)]
    table = Table([[left, right]], colWidths=[width - qr_size - 4 * mm, qr_size + 4 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (0, 0), "BOTTOM"),
                ("VALIGN", (1, 0), (1, 0), "TOP"),
                ("ALIGN", (1, 0), (1, 0), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [
        table,
        _Rule(width),
        _p(doc.title, styles.title),
        _p(doc.number, styles.small_right),
        Spacer(1, 3 * mm),
    ]


def _grid_style(header: bool) -> TableStyle:
    commands: list[tuple] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    return TableStyle(commands)


def _block(block: Block, styles: _Styles, width: float) -> list[Flowable]:
    if isinstance(block, Para):
        return [_p(block.text, styles.body_first if block.indent else styles.body)]
    if isinstance(block, Heading):
        return [_p(block.text, styles.heading)]
    if isinstance(block, NumberedList):
        return [
            _p(f"{index}. {item}", ParagraphStyle("li", parent=styles.body, leftIndent=23))
            for index, item in enumerate(block.items, start=1)
        ]
    if isinstance(block, Fields):
        pairs = list(block.rows)
        cols = max(1, block.columns)
        label_w = block.label_width_mm * mm
        value_w = width / cols - label_w
        label_style, cell_style = styles.label, styles.cell
        if block.large:
            label_style = ParagraphStyle("label_l", parent=styles.label, fontSize=12, leading=17)
            cell_style = ParagraphStyle("cell_l", parent=styles.cell, fontSize=12.5, leading=17)
        data = []
        for start in range(0, len(pairs), cols):
            row: list[Paragraph | str] = []
            for label, value in pairs[start : start + cols]:
                row += [_p(label, label_style), _p(value or "—", cell_style)]
            row += [""] * (2 * cols - len(row))
            data.append(row)
        table = Table(data, colWidths=[label_w, value_w] * cols, hAlign="LEFT")
        style = _grid_style(header=False)
        if block.large:
            style.add("TOPPADDING", (0, 0), (-1, -1), 7)
            style.add("BOTTOMPADDING", (0, 0), (-1, -1), 7)
        table.setStyle(style)
        return [table, Spacer(1, 3 * mm if block.large else 2 * mm)]
    if isinstance(block, Grid):
        fractions = list(block.widths or [1 / len(block.header)] * len(block.header))
        widths = [width * f for f in fractions]
        data = [[_p(h, styles.label) for h in block.header]]
        data += [[_p(str(c), styles.cell) for c in row] for row in block.rows]
        table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(_grid_style(header=True))
        return [table, Spacer(1, 2 * mm)]
    if isinstance(block, SignatureLines):
        rows = [
            [_p(label, styles.body), _p("________________  日期:____年__月__日", styles.body)]
            for label in block.labels
        ]
        table = Table(rows, colWidths=[width * 0.35, width * 0.65], hAlign="LEFT")
        table.setStyle(TableStyle([("TOPPADDING", (0, 0), (-1, -1), 8)]))
        return [Spacer(1, 3 * mm), table]
    raise TypeError(f"unknown block {block!r}")


def _footer_block(doc: OfficialDocument, styles: _Styles) -> Flowable:
    return KeepTogether(
        [
            Spacer(1, 8 * mm),
            _p(doc.issuer, styles.right),
            _p(doc.seal_note, styles.right),
            _p(chinese_date(doc.issued_on), styles.right),
        ]
    )


def _fit(text: str, font: str, width: float, size: float = 8) -> str:
    """Cut `text` so that it fits in `width` points (with an ellipsis if cut)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def render(doc: OfficialDocument) -> bytes:
    """Lay the document out on A4 and return the PDF bytes."""
    pagesize = landscape(A4) if doc.landscape else A4
    margin = 20 * mm
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=doc.title,
        author=doc.issuer,
        subject=doc.subject or doc.number,
        keywords=doc.keywords,
        creator="Tongban 通办",
        lang="zh-CN",
    )
    width = pagesize[0] - 2 * margin
    styles = _styles(title_size=26 if doc.frame else 19)
    story: list[Flowable] = _header(doc, styles, width)
    if doc.addressee:
        story.append(_p(f"{doc.addressee}:", styles.body))
    for block in doc.blocks:
        story += _block(block, styles, width)
    story.append(_footer_block(doc, styles))

    font = cjk_font_name()

    def decorate(canvas: Canvas, template: SimpleDocTemplate) -> None:
        canvas.saveState()
        page_width, page_height = pagesize
        if doc.frame:
            canvas.setStrokeColor(RULE)
            canvas.setLineWidth(2)
            canvas.rect(9 * mm, 9 * mm, page_width - 18 * mm, page_height - 18 * mm)
            canvas.setLineWidth(0.6)
            canvas.rect(11 * mm, 11 * mm, page_width - 22 * mm, page_height - 22 * mm)
        canvas.setFont(font, 8)
        canvas.setFillColor(MUTED)
        room = page_width - 2 * margin - 20 * mm
        canvas.drawString(margin, 13 * mm, _fit(f"{doc.number}    核验:{doc.qr_url}", font, room))
        canvas.drawRightString(page_width - margin, 13 * mm, f"第 {canvas.getPageNumber()} 页")
        canvas.restoreState()

    template.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
