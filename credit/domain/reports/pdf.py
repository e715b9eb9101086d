"""The report as an A4 PDF: every glyph from an embedded CJK font, a QR code to the verification page.

The font is Debian's WenQuanYi Zen Hei (fonts-wqy-zenhei, installed by scripts/setup), embedded
as a subset, so a reader without Chinese fonts shows the text; the built-in STSong-Light is never
used (it is not embedded). ``CREDIT_REPORT_FONT`` points at another TrueType/TTC file.
"""

from __future__ import annotations

import io
import logging
import os
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import segno
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from credit.domain.reports.content import RecordBlock, ReportContent
from credit.kernel.errors import NotFound

log = logging.getLogger(__name__)

ENV_FONT = "CREDIT_REPORT_FONT"
DEFAULT_FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
FONT = "LianzhengCJK"
CHINA = timezone(timedelta(hours=8), "UTC+08:00")  # no daylight saving in China
WIDTH = A4[0] - 36 * mm

_STYLES = {
    "title": dict(fontSize=18, leading=24, alignment=1, spaceAfter=2 * mm),
    "subtitle": dict(fontSize=10, leading=14, alignment=1, textColor=colors.HexColor("#444444"), spaceAfter=4 * mm),
    "h1": dict(fontSize=13, leading=18, spaceBefore=5 * mm, spaceAfter=2 * mm, textColor=colors.HexColor("#12355b"),
               keepWithNext=1),
    "h2": dict(fontSize=10.5, leading=15, spaceBefore=3 * mm, spaceAfter=1 * mm, keepWithNext=1),
    "body": dict(fontSize=9, leading=13),
    "cell": dict(fontSize=8.5, leading=11.5),
    "small": dict(fontSize=7.5, leading=10, textColor=colors.HexColor("#555555")),
}


def font_path() -> Path:
    """The CJK font file to embed; NotFound with the fix when it is missing."""
    path = Path(os.environ.get(ENV_FONT) or DEFAULT_FONT)
    if not path.exists():
        raise NotFound(f"缺少中文字体 / the CJK font for reports is missing: {path} "
                       "(install fonts-wqy-zenhei: scripts/setup, or set CREDIT_REPORT_FONT)")
    return path


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        path = font_path()
        index = 0 if path.suffix.lower() == ".ttc" else None
        font = TTFont(FONT, str(path), subfontIndex=index) if index is not None else TTFont(FONT, str(path))
        pdfmetrics.registerFont(font)


def _style(name: str) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=FONT, **_STYLES[name])  # type: ignore[arg-type]


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), _style(style))


def china_time(moment: datetime) -> str:
    """A UTC time (naive or aware) as Beijing time, to the second."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S（北京时间 UTC+08:00）")


def qr_drawing(url: str, size: float = 28 * mm) -> Drawing:
    """The URL as a QR code, drawn as vector squares (sharp at any zoom, no image codec)."""
    qr = segno.make(url, error="m")
    matrix = [list(row) for row in qr.matrix]
    border = 2
    n = len(matrix) + 2 * border
    cell = size / n
    drawing = Drawing(size, size, initialFontName=FONT)  # no unembedded default font is referenced
    drawing.add(Rect(0, 0, size, size, fillColor=colors.white, strokeColor=None))
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                drawing.add(Rect((x + border) * cell, size - (y + border + 1) * cell, cell, cell,
                                 fillColor=colors.black, strokeColor=None, strokeWidth=0))
    return drawing


def _grid(rows: list[tuple[str, str]], first: float = 52 * mm, total: float = WIDTH) -> Table:
    table = Table([[_p(k, "cell"), _p(v, "cell")] for k, v in rows], colWidths=[first, total - first])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8c4d0")),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef2f6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def _header(c: ReportContent) -> list[Any]:
    rows = [("报告编号 Report no.", c.number), ("生成时间 Generated", china_time(c.made_at)),
            ("数据截止日期 Data as of", c.as_of.isoformat()), ("报告视角 Viewer", c.viewer_text),
            ("企业编号 Enterprise id", str(c.enterprise_id) + (f"（请求 requested {c.requested_id}，已合并 merged）"
                                                             if c.requested_id != c.enterprise_id else ""))]
    if c.basis:
        rows.append(("查询依据 Basis", c.basis))
    qr = Table([[qr_drawing(c.verify_url)], [_p("扫码核验 scan to verify", "small")]], colWidths=[32 * mm])
    qr.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
    info = _grid(rows, 40 * mm, WIDTH - 34 * mm)
    top = Table([[info, qr]], colWidths=[WIDTH - 34 * mm, 34 * mm])
    top.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                             ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [_p("企业信用报告", "title"), _p("Enterprise Credit Report · 联征 Lianzheng 社会信用联合征信系统", "subtitle"), top]


def _rating(c: ReportContent) -> list[Any]:
    r = c.rating
    out: list[Any] = [_p("二、综合信用评价 Composite rating", "h1"),
                      _p(f"等级 Grade {r.grade}　得分 Score {r.score}（基础分 base {r.base}，"
                         f"{len(r.lines)} 项加减分 explained lines）", "h2")]
    if r.lines:
        rows = [(f"{ln.points:+d}", f"{ln.label}：{ln.department}/{ln.record_type}/{ln.record_id}"
                 f"（{ln.record_date or '—'}）{'【' + '，'.join(ln.marks) + '】' if ln.marks else ''}") for ln in r.lines]
        out.append(_grid(rows, 16 * mm))
    else:
        out.append(_p("无加减分记录，得分即基础分 / no record changes the score: it is the base."))
    out.append(Spacer(1, 2 * mm))
    head, *rules, grades = c.grade_rules
    out.append(_p(f"评分规则 How the grade is computed: {head}{'；'.join(rules)}。{grades}", "small"))
    return out


def _record(block: RecordBlock) -> Any:
    return KeepTogether([_p(block.heading, "h2"), _grid(block.rows)])


def _records(c: ReportContent) -> list[Any]:
    out: list[Any] = [_p("三、信用记录 Credit records", "h1")]
    if not c.sections:
        out.append(_p("该视角下无可见记录 / this viewer sees no records."))
    for section in c.sections:
        out.append(_p(section.title, "h2"))
        out += [_record(b) for b in section.records]
    return out


def _notes(c: ReportContent) -> list[Any]:
    return [_p("四、说明 Notes", "h1"), _p(
        f"本报告按“{c.viewer_text}”视角经信息披露规则生成，仅含该视角于 {c.as_of.isoformat()} 可见的记录；个人信息已按规定"
        "遮蔽。标注【异议处理中】的记录正在异议核查中，【已信用修复】【停止公示】的记录已不再向公众公示。\n"
        f"This report shows only what this viewer may see on {c.as_of.isoformat()}, through the platform's disclosure "
        "rules; personal data is masked. 核验 Verify: 扫描二维码或访问 scan the QR code or open\n"
        f"{c.verify_url}\n"
        "本文件带有平台数字签名（PDF 签名），任何改动都会使签名失效 / the file carries the platform's PDF signature; "
        "any change invalidates it.", "body")]


def _footer(number: str, canvas: Canvas, _doc: Any) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 7.5)
    canvas.setFillColor(colors.HexColor("#666666"))
    canvas.drawString(18 * mm, 10 * mm, f"联征 Lianzheng 企业信用报告 · 报告编号 {number}")
    canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"第 {canvas.getPageNumber()} 页 page")
    canvas.restoreState()


def render_pdf(content: ReportContent) -> bytes:
    """The unsigned report PDF."""
    _register_font()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=f"企业信用报告 {content.number}", subject=content.number,
                            author="联征 Lianzheng", creator="联征 Lianzheng", lang="zh-CN",
                            initialFontName=FONT)
    story = [*_header(content), _p("一、基本信息 Identity", "h1"), _grid(content.identity),
             *_rating(content), *_records(content), *_notes(content)]
    footer = partial(_footer, content.number)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
