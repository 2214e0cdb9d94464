"""What a citizen sees of a case: plain words, the handling department (never a person),
the deadline, the next step and the documents addressed to them. Nothing about other
parties: no names, no numbers, not even the case's title (titles often name the
respondent)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.models import Case, State
from intake.receipts import expected_time
from luodian_platform.workcal import local_date
from mediation.models import Agreement, AgreementTerm, Notice
from mediation.services.agreements import CHANNEL_LABELS

STATE_WORDS = {
    State.RECEIVED: gettext_lazy("已收到您的申请,等待综合研判调度室接收。"),
    State.REGISTERED: gettext_lazy("已登记,等待综合研判调度室分派承办部门。"),
    State.DISPATCHED: gettext_lazy("已分派承办部门,等待承办部门签收。"),
    State.ACCEPTED: gettext_lazy("承办部门正在办理。"),
    State.MEDIATING: gettext_lazy("承办部门正在组织调解。"),
    State.SUSPENDED: gettext_lazy("办理暂时中止(例如等待补充材料),中止期间不计入办理期限。"),
    State.REPLIED: gettext_lazy("承办部门已提出办理结果,正在审核。"),
    State.CLOSED: gettext_lazy("已办结。"),
    State.ARCHIVED: gettext_lazy("已办结并归档。"),
    State.REJECTED: gettext_lazy("不予受理。"),
    State.MERGED: gettext_lazy("与同一纠纷的其他案件合并办理。"),
}
NEXT_WORDS = {
    State.RECEIVED: gettext_lazy("工作人员接收后会核实情况,必要时与您电话联系。请保持电话畅通。"),
    State.REGISTERED: gettext_lazy("综合研判调度室一般在1个工作日内分派承办部门。"),
    State.DISPATCHED: gettext_lazy("承办部门签收后会与您联系。"),
    State.ACCEPTED: gettext_lazy("承办部门会与您联系,请按通知提供材料或参加调解。"),
    State.MEDIATING: gettext_lazy("请按承办部门通知的时间、地点参加调解。"),
    State.SUSPENDED: gettext_lazy("中止原因消除后继续办理;如需补充材料,请尽快提交。"),
    State.REPLIED: gettext_lazy("审核通过后即办结,您将收到评价短信。"),
    State.CLOSED: gettext_lazy(
        "您将收到回访电话或评价短信。如对结果不满意,可在评价中说明,承办部门将重新办理。"
    ),
    State.ARCHIVED: gettext_lazy("如有新情况,请到服务大厅或拨打服务电话。"),
    State.REJECTED: gettext_lazy("请按告知的途径办理,或拨打服务电话咨询。"),
    State.MERGED: gettext_lazy("办理进度以合并后的案件为准,请拨打服务电话咨询。"),
}
OPEN_STATES = {State.DISPATCHED, State.ACCEPTED, State.MEDIATING, State.REPLIED}


@dataclass
class Document:
    kind: str
    number: str
    date: object
    lines: list[str] = field(default_factory=list)


@dataclass
class Progress:
    number: str
    category: str
    received_on: object
    state: str
    state_words: str
    department: str
    due_on: object
    expected: str
    next_step: str
    documents: list[Document]


def _documents(case: Case) -> list[Document]:
    docs = []
    for agreement in Agreement.objects.filter(case=case, effective_at__isnull=False).order_by(
        "effective_at"
    ):
        terms = AgreementTerm.objects.filter(agreement=agreement).order_by("seq")
        docs.append(
            Document(
                kind=_("人民调解协议书"),
                number=agreement.number,
                date=local_date(agreement.effective_at),
                # The dates only: the terms' text names the other parties.
                lines=[
                    _("第%(seq)d项履行期限:%(due)s%(done)s")
                    % {
                        "seq": t.seq,
                        "due": local_date(t.due_at).isoformat(),
                        "done": _("(已履行)") if t.performed_at else "",
                    }
                    for t in terms
                ],
            )
        )
    for notice in Notice.objects.filter(case=case).order_by("issued_at"):
        docs.append(
            Document(
                kind=_("调解终结告知书"),
                number=notice.number,
                date=local_date(notice.issued_at),
                lines=[
                    "{}:{}。{}".format(
                        CHANNEL_LABELS.get(c.get("channel"), c.get("channel", "")),
                        c.get("institution", ""),
                        c.get("time_limit", ""),
                    )
                    for c in notice.channels
                    if isinstance(c, dict)
                ],
            )
        )
    return docs


def progress_for(case: Case) -> Progress:
    return Progress(
        number=case.number,
        category=case.category.name,
        received_on=local_date(case.created_at),
        state=case.state,
        state_words=str(STATE_WORDS.get(case.state, "")),
        department=case.department.name if case.department_id else _("综合研判调度室"),
        due_on=local_date(case.due_at) if case.due_at and case.state in OPEN_STATES else None,
        expected=expected_time(case),
        next_step=str(NEXT_WORDS.get(case.state, "")),
        documents=_documents(case),
    )
