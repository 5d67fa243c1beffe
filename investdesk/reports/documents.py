"""The bulletin as text, as HTML with each figure linked to its records, as .docx in the layout of a
government bulletin (GB/T 9704 conventions: A4, 报头 in red, title in 方正小标宋, body in 仿宋_GB2312
三号, headings in 黑体, page numbers, the 报/送 lines at the end) and as PDF."""

import io

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from investdesk.reports.figures import format_figure
from investdesk.reports.models import TOKEN, Bulletin


def figure_text(bulletin: Bulletin, key: str) -> str:
    figure = bulletin.figures.get(key)
    if figure is None:
        return "{" + key + "}"
    return format_figure(figure["value"], figure["kind"], rounded=bulletin.rounded)


def render_text(bulletin: Bulletin, text: str) -> str:
    return TOKEN.sub(lambda m: figure_text(bulletin, m.group(1)), text)


def render_html(bulletin: Bulletin, text: str) -> str:
    """Paragraphs with each figure a link to "where does this number come from"."""

    def link(match):
        key = match.group(1)
        url = reverse("reports:bulletin_figure", args=[bulletin.pk, key])
        label = escape(bulletin.figures.get(key, {}).get("label", key))
        return f'<a href="{url}" class="id-figure" title="{label}">{escape(figure_text(bulletin, key))}</a>'

    paragraphs = []
    for line in text.split("\n"):
        if line.strip():
            parts, last = [], 0
            for m in TOKEN.finditer(line):
                parts.append(escape(line[last : m.start()]))
                parts.append(link(m))
                last = m.end()
            parts.append(escape(line[last:]))
            paragraphs.append(f"<p>{''.join(parts)}</p>")
    return mark_safe("".join(paragraphs))


# --- .docx ----------------------------------------------------------------------------------------

TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
BODY_FONT = "仿宋_GB2312"
RED = (0xC0, 0x00, 0x00)


def _run(paragraph, text: str, *, font: str, size: float, bold: bool = False, color=None):
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    run = paragraph.add_run(text)
    run.font.name = font
    run.font.size = Pt(size)
    run.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    if color:
        run.font.color.rgb = RGBColor(*color)
    return run


def _rule(paragraph, *, color: str = "C00000", size: int = 12) -> None:
    """A line under the paragraph (the red line under the 报头, the thin lines of the 报/送 block)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "1"), ("w:color", color)):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)


def _page_number(section) -> None:
    """ "— 1 —" centred in the footer, from a PAGE field."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(paragraph, "— ", font="宋体", size=14)
    run = _run(paragraph, "", font="宋体", size=14)
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    _run(paragraph, " —", font="宋体", size=14)


def bulletin_docx(bulletin: Bulletin) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _page_number(section)

    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(head, bulletin.name, font=TITLE_FONT, size=36, color=RED)
    number = doc.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(number, f"第{bulletin.number}期" if bulletin.number else "（草稿）", font=BODY_FONT, size=16)
    line = doc.add_paragraph()
    _run(line, bulletin.issuing_unit.name, font=BODY_FONT, size=16)
    _run(line, "\t" + f"{bulletin.issued_on:%Y年%-m月%-d日}", font=BODY_FONT, size=16)
    line.paragraph_format.tab_stops.add_tab_stop(Mm(156), alignment=2)  # right-aligned tab
    _rule(line, size=18)

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_before = Pt(16)
    title.paragraph_format.space_after = Pt(16)
    _run(title, bulletin.title, font=TITLE_FONT, size=22)

    for item in bulletin.sections:
        heading = doc.add_paragraph()
        heading.paragraph_format.first_line_indent = Pt(32)
        _run(heading, item["heading"], font=HEADING_FONT, size=16)
        for text in render_text(bulletin, item["text"]).split("\n"):
            if text.strip():
                body = doc.add_paragraph()
                body.paragraph_format.first_line_indent = Pt(32)
                body.paragraph_format.line_spacing = Pt(28)
                _run(body, text.strip(), font=BODY_FONT, size=16)

    doc.add_paragraph()
    if bulletin.send_to or bulletin.copy_to:
        top = doc.add_paragraph()
        _rule(top, color="000000", size=6)
        for label, value in (("报：", bulletin.send_to), ("送：", bulletin.copy_to)):
            if value:
                p = doc.add_paragraph()
                _run(p, label + value, font=BODY_FONT, size=14)
                _rule(p, color="000000", size=6)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# --- PDF ------------------------------------------------------------------------------------------


def bulletin_pdf(bulletin: Bulletin) -> bytes:
    """The same bulletin as PDF (reportlab, with the standard Chinese CID font STSong-Light: no font
    files to install; readers substitute their Song typeface)."""
    from reportlab.lib.colors import Color, black
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import HRFlowable, Paragraph, SimpleDocTemplate, Spacer

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    font, red = "STSong-Light", Color(0.75, 0, 0)
    head = ParagraphStyle("head", fontName=font, fontSize=36, leading=44, alignment=TA_CENTER, textColor=red)
    center = ParagraphStyle("center", fontName=font, fontSize=16, leading=24, alignment=TA_CENTER)
    title = ParagraphStyle("title", fontName=font, fontSize=22, leading=32, alignment=TA_CENTER, spaceBefore=12,
                           spaceAfter=12)  # fmt: skip
    heading = ParagraphStyle("heading", fontName=font, fontSize=16, leading=28, firstLineIndent=32,
                             wordWrap="CJK")  # fmt: skip
    body = ParagraphStyle("body", fontName=font, fontSize=16, leading=28, firstLineIndent=32, wordWrap="CJK")
    small = ParagraphStyle("small", fontName=font, fontSize=14, leading=22, wordWrap="CJK")

    def page_number(canvas, doc_):
        canvas.saveState()
        canvas.setFont(font, 14)
        canvas.drawCentredString(A4[0] / 2, 15 * mm, f"— {doc_.page} —")
        canvas.restoreState()

    story = [
        Paragraph(escape(bulletin.name), head),
        Paragraph(f"第{bulletin.number}期" if bulletin.number else "（草稿）", center),
        Paragraph(f"{escape(bulletin.issuing_unit.name)}　　　　{bulletin.issued_on:%Y年%-m月%-d日}", center),
        HRFlowable(width="100%", thickness=2, color=red),
        Paragraph(escape(bulletin.title), title),
    ]
    for item in bulletin.sections:
        story.append(Paragraph(escape(item["heading"]), heading))
        for text in render_text(bulletin, item["text"]).split("\n"):
            if text.strip():
                story.append(Paragraph(escape(text.strip()), body))
    if bulletin.send_to or bulletin.copy_to:
        story += [Spacer(1, 24), HRFlowable(width="100%", thickness=0.5, color=black)]
        for label, value in (("报：", bulletin.send_to), ("送：", bulletin.copy_to)):
            if value:
                story += [Paragraph(escape(label + value), small), HRFlowable(width="100%", thickness=0.5, color=black)]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, topMargin=37 * mm, bottomMargin=35 * mm, leftMargin=28 * mm, rightMargin=26 * mm,
        title=bulletin.title,
    ).build(story, onFirstPage=page_number, onLaterPages=page_number)  # fmt: skip
    return buffer.getvalue()
