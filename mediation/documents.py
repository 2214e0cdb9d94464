"""PDF versions of the mediation documents, with fpdf2 (pure Python).

The page, the fonts and the line breaking are in ``mediation.typeset`` (full CJK fonts
from Debian packages with fallbacks; a character no font can draw refuses the document,
``typeset.fonts.GlyphMissing``, a ServiceError). fpdf2 embeds the glyphs used and writes a
ToUnicode map, so the text stays extractable.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from luodian_platform.periods import period

from .models import Agreement, CourtReferral, Notice, NoticeRoute
from .typeset.pdf import Block, DocumentPDF


def _date(value) -> str:
    if not value:
        return "____年__月__日"
    return timezone.localtime(value).strftime("%Y年%m月%d日")


def _time(value) -> str:
    return timezone.localtime(value).strftime("%Y年%m月%d日 %H:%M") if value else ""


def agreement_pdf(agreement: Agreement) -> bytes:
    case = agreement.case
    doc = DocumentPDF("人民调解协议书", agreement.number or "", case.number)
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
            f"{t.seq}. {t.content}\n履行方式:{t.performance_method};履行期限:{_date(t.due_at)}前"
        )
    # 《人民调解法》 art. 29 (effect) and art. 33 (judicial confirmation): the clause and
    # the signatures it speaks of are kept on one page.
    blocks = [
        Block(
            text="本协议自各方当事人签名、盖章或者按指印,人民调解员签名并加盖人民调解委员会印章之日起生效。"
            f"当事人可以自本协议生效之日起{period('jc_window').phrase}内共同向人民法院申请司法确认。"
        ),
        Block(text="签署", size=13, height=8, space_before=2),
    ]
    blocks += signature_blocks(agreement)
    blocks.append(Block(text=f"生效日期:{_date(agreement.effective_at)}", space_before=2))
    doc.keep_together(blocks)
    return doc.output_bytes()


def signature_blocks(agreement: Agreement) -> list[Block]:
    """One line per signatory with the time of signing, and the image drawn on the tablet
    (if it was signed there) under it."""
    drawn = {(s.signer, s.agreement_party_id): s.png_bytes for s in agreement.signatures.all()}

    def block(text: str, key) -> Block:
        image = drawn.get(key) or None
        return Block(text=text, image=image, image_height=16 if image else 0)

    blocks = []
    for p in agreement.parties.all():
        if p.signed:
            status = f"已{p.get_sign_method_display()}(签署时间:{_time(p.signed_at)})"
        else:
            status = "________________"
        blocks.append(block(f"{p.get_role_display()} {p.name}:{status}", ("party", p.pk)))
    status = (
        f"已签名(签署时间:{_time(agreement.mediator_signed_at)})"
        if agreement.mediator_signed
        else "________________"
    )
    blocks.append(block(f"人民调解员 {agreement.mediator.name}:{status}", ("mediator", None)))
    status = (
        f"已盖章(时间:{_time(agreement.committee_sealed_at)})"
        if agreement.committee_sealed
        else "(印章)"
    )
    blocks.append(block(f"人民调解委员会:{agreement.committee.name} {status}", ("committee", None)))
    return blocks


def notice_pdf(notice: Notice) -> bytes:
    case = notice.case
    doc = DocumentPDF("调解终止告知书", notice.number, case.number)
    names = "、".join(p.name for p in case.parties.all())
    doc.para(f"{names}:")
    doc.para(
        f"你们之间的“{case.title}”纠纷,经{case.department.name if case.department else ''}"
        f"组织调解,未能达成调解协议,现终止调解。原因:{notice.reason}"
    )
    doc.para("根据《中华人民共和国人民调解法》第二十六条,现告知你们可以通过以下途径依法维护权利:")
    for i, c in enumerate(notice.channels, start=1):
        label = str(dict(NoticeRoute.Route.choices).get(c["channel"], c["channel"]))
        line = f"{i}. {label}:受理机构 {c['institution']}"
        if c.get("address"):
            line += f"(地址:{c['address']})"
        line += f";期限 {c['time_limit']}。"
        doc.para(line)
    doc.keep_together(
        [
            Block(
                text=f"{settings.COUNTY_NAME}一站式矛盾纠纷化解中心 服务电话 {settings.HALL_PHONE}",
                space_before=4,
            ),
            Block(text=f"告知日期:{_date(notice.issued_at)}"),
        ]
    )
    return doc.output_bytes()


def referral_report_pdf(referral: CourtReferral) -> bytes:
    case = referral.case
    doc = DocumentPDF("诉前委派调解结果反馈函", referral.court_reference, case.number)
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
    doc.keep_together([Block(text=f"反馈日期:{_date(referral.reported_at)}")])
    return doc.output_bytes()
