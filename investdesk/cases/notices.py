"""The assignment notice (交办通知书) as a .docx, in the layout of a government notice."""

import io

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from investdesk.cases.models import Assignment, Case

FONT = "仿宋_GB2312"  # the body font of official documents (GB/T 9704)


def _paragraph(doc, text: str, *, size: int = 16, bold: bool = False, center: bool = False, font: str = FONT):
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    run.font.name = font
    run._element.rPr.rFonts.set(qn("w:eastAsia"), font)
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return paragraph


def assignment_notice(*, case: Case, issuer: str) -> bytes:
    doc = Document()
    _paragraph(doc, "企业诉求交办通知书", size=22, bold=True, center=True, font="方正小标宋简体")
    _paragraph(doc, f"编号：{case.number}", size=14, center=True)
    lead = case.assignments.filter(role=Assignment.Role.LEAD, is_active=True).select_related("unit").first()
    cos = case.assignments.filter(role=Assignment.Role.CO, is_active=True).select_related("unit")
    _paragraph(doc, f"{lead.party if lead else '（未交办）'}：")
    body = (
        f"　　现将{case.enterprise.name}反映的“{case.title}”问题交由你单位牵头办理。"
        f"请于{case.due_on:%Y年%-m月%-d日}前办结并答复企业，同时将办理结果反馈{issuer}。"
        if case.due_on
        else ""
    )
    _paragraph(doc, body)
    _paragraph(doc, f"　　问题描述：{case.description}")
    _paragraph(doc, f"　　问题类别：{case.category.name}；紧急程度：{case.get_urgency_display()}。")
    if cos:
        parties = "、".join(a.party for a in cos)
        _paragraph(doc, f"　　配合单位：{parties}，请于{cos[0].due_on:%Y年%-m月%-d日}前将配合办理意见反馈牵头单位。")
    contact = case.enterprise.contacts.order_by("-is_primary", "id").first()
    if contact:
        _paragraph(doc, f"　　企业联系人：{contact.name} {contact.title} {contact.mobile}")
    _paragraph(doc, "")
    _paragraph(doc, issuer, center=False).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _paragraph(doc, f"{timezone.localdate():%Y年%-m月%-d日}").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
