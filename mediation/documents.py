"""PDF versions of the mediation documents, with fpdf2 (pure Python).

The CJK font is a subset of Noto Serif CJK SC shipped in ``mediation/fonts`` (OFL,
see OFL.txt there), embedded in every PDF, so Chinese shows on a machine without
Chinese fonts and the text stays extractable (fpdf2 writes a ToUnicode map).
Characters outside the subset (rare hanzi in names) would print as blanks: the font
covers GB 2312 level 1; rebuild it with ``build_subset.py`` to widen it.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils import timezone
from fpdf import FPDF

from luodian_platform.periods import period

from .models import Agreement, CourtReferral, Notice
from .services import CHANNEL_LABELS

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "LuodianSerifSC-Subset.ttf"
FONT = "LuodianSerifSC"


class _Doc(FPDF):
    def __init__(self, title: str, number: str):
        super().__init__(format="A4", unit="mm")
        self.doc_title = title
        self.doc_number = number
        self.set_margins(22, 20, 22)
        self.set_auto_page_break(True, margin=20)
        self.add_font(FONT, "", str(FONT_PATH))
        self.set_title(f"{title} {number}")
        self.set_creator(f"{settings.COUNTY_NAME}一站式矛盾纠纷化解平台")
        self.add_page()
        self.set_font(FONT, size=20)
        self.cell(0, 14, title, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=11)
        self.cell(0, 8, number, align="R", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, size=9)
        self.cell(0, 8, f"{self.doc_number}  第{self.page_no()}页", align="C")

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(FONT, size=13)
        self.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=11.5)

    def para(self, text: str) -> None:
        self.set_font(FONT, size=11.5)
        self.multi_cell(0, 7, text or "—", new_x="LMARGIN", new_y="NEXT")

    def output_bytes(self) -> bytes:
        return bytes(self.output())


def _date(value) -> str:
    if not value:
        return "____年__月__日"
    return timezone.localtime(value).strftime("%Y年%m月%d日")


def agreement_pdf(agreement: Agreement) -> bytes:
    case = agreement.case
    doc = _Doc("人民调解协议书", agreement.number)
    doc.para(f"案件编号:{case.number}")
    doc.heading("当事人")
    for p in agreement.parties.all():
        line = f"{p.get_role_display()}:{p.name}"
        if p.id_number:
            line += f",证件号码:{p.id_number}"
        if p.address:
            line += f",住址:{p.address}"
        if p.phone:
            line += f",电话:{p.phone}"
        doc.para(line)
    doc.heading("纠纷的主要事实")
    doc.para(agreement.facts)
    doc.heading("争议事项")
    doc.para(agreement.issues)
    doc.heading("各方当事人的责任")
    doc.para(agreement.liabilities)
    doc.heading("经调解,当事人自愿达成如下协议")
    for t in agreement.terms.all():
        doc.para(
            f"{t.seq}. {t.content}\n   履行方式:{t.performance_method};履行期限:{_date(t.due_at)}前"
        )
    doc.para(
        "本协议自各方当事人签名、盖章或者按指印,人民调解员签名并加盖人民调解委员会印章之日起生效。"
        f"当事人可以自本协议生效之日起{period('jc_window').phrase}内共同向人民法院申请司法确认。"
    )
    doc.heading("签署")
    for p in agreement.parties.all():
        status = f"已{p.get_sign_method_display()}({_date(p.signed_at)})" if p.signed else "未签署"
        doc.para(f"{p.get_role_display()} {p.name}:{status}")
    doc.para(
        f"人民调解员:{agreement.mediator.name}({'已签名' if agreement.mediator_signed else '未签名'})"
    )
    doc.para(
        f"人民调解委员会:{agreement.committee.name}"
        f"({'已盖章' if agreement.committee_sealed else '未盖章'})"
    )
    doc.para(f"生效日期:{_date(agreement.effective_at)}")
    return doc.output_bytes()


def notice_pdf(notice: Notice) -> bytes:
    case = notice.case
    doc = _Doc("调解终止告知书", notice.number)
    names = "、".join(p.name for p in case.parties.all())
    doc.para(f"案件编号:{case.number}")
    doc.para(f"{names}:")
    doc.para(
        f"你们之间的“{case.title}”纠纷,经{case.department.name if case.department else ''}"
        f"组织调解,未能达成调解协议,现终止调解。原因:{notice.reason}"
    )
    doc.para("根据《中华人民共和国人民调解法》第二十六条,现告知你们可以通过以下途径依法维护权利:")
    for i, c in enumerate(notice.channels, start=1):
        label = str(CHANNEL_LABELS.get(c["channel"], c["channel"]))
        doc.para(f"{i}. {label}:受理机构 {c['institution']};期限 {c['time_limit']}。")
    doc.para(f"{settings.COUNTY_NAME}一站式矛盾纠纷化解中心  服务电话 {settings.HALL_PHONE}")
    doc.para(f"告知日期:{_date(notice.issued_at)}")
    return doc.output_bytes()


def referral_report_pdf(referral: CourtReferral) -> bytes:
    case = referral.case
    doc = _Doc("诉前委派调解结果反馈函", referral.court_reference)
    doc.para(f"{referral.court.name}:")
    doc.para(
        f"贵院委派调解的案件(委派编号 {referral.court_reference},平台案件编号 {case.number},"
        f"当事人 {'、'.join(p.name for p in case.parties.all())}),"
        f"于{_date(referral.referred_at)}委派,调解期限至{_date(referral.due_at)}"
        + (f"(经当事人同意延长{referral.extended_days}日)" if referral.extended_days else "")
        + "。"
    )
    doc.para(f"调解结果:{referral.get_result_display() or '尚未办结'}")
    doc.para(referral.result_note)
    doc.para(f"反馈日期:{_date(referral.reported_at)}")
    return doc.output_bytes()
