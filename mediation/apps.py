from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "mediation"
    verbose_name = _("多元调处")

    def ready(self) -> None:
        from django.db.models import Q

        from intake.models import register_event_labels, register_visibility
        from intake.panels import CasePanel, register_panel
        from luodian_platform.roles import Role

        from . import mediation_actions, panels
        from .models import JointMediation, MediationSession, MediatorAssignment

        mediation_actions.register()
        _register_personal_data()
        _register_attachment_targets()

        from intake.lifecycle import register_before_transition

        from .services.replies import refuse_unproved_approval

        # The centre cannot approve a reply whose outcome the records do not prove.
        register_before_transition("approve", refuse_unproved_approval)

        def mediates(user) -> Q:
            # "A mediator sees the cases where they mediate": assigned after the 回避 check,
            # or sitting in one of its sessions. Subqueries, not joins: no duplicate rows.
            return Q(
                pk__in=MediatorAssignment.objects.filter(mediator__user=user).values("case_id")
            ) | Q(pk__in=MediationSession.objects.filter(mediators__user=user).values("case_id"))

        def joins_joint_mediation(user) -> Q:
            if not user.department_id:
                return Q(pk__in=[])
            return Q(
                pk__in=JointMediation.objects.filter(departments=user.department_id).values(
                    "case_id"
                )
            )

        register_visibility(Role.MEDIATOR, mediates)
        register_visibility(Role.OFFICER, joins_joint_mediation)
        register_visibility(Role.MEDIATOR, joins_joint_mediation)

        # Event-log rows this app writes that are not state changes: readable labels.
        register_event_labels(panels.EVENT_LABELS)
        register_panel(
            CasePanel(
                key="mediation",
                template="mediation/_case_panel.html",
                context=panels.case_panel,
                order=50,
            )
        )
        register_panel(
            CasePanel(
                key="mediation_chains",
                template="mediation/_chains_panel.html",
                context=panels.chains_panel,
                order=45,
            )
        )
        register_panel(
            CasePanel(
                key="reply_basis",
                template="mediation/_reply_basis_panel.html",
                context=panels.reply_basis_panel,
                order=44,
                actions=("reply", "approve", "send_back"),
            )
        )
        register_panel(
            CasePanel(
                key="mediation_metric",
                template="mediation/_metric_panel.html",
                context=panels.metric_panel,
                order=10,
                column="side",
            )
        )


def _register_attachment_targets() -> None:
    """Files on session records, agreements (the signed scan) and notices; added by those
    who may mediate the case (and administrators)."""
    from django.utils import timezone

    from intake.evidence.registry import register_attachment_target
    from luodian_platform.roles import Role, user_has_role

    from .models import Agreement, MediationSession, Notice
    from .services import may_mediate

    def mediates(case, user) -> bool:
        return user_has_role(user, Role.ADMIN) or may_mediate(case, user)

    register_attachment_target(
        "session",
        label=_("调解记录"),
        model=MediationSession,
        may_attach=mediates,
        describe=lambda s: f"{_('调解')} {timezone.localtime(s.starts_at):%Y-%m-%d %H:%M}",
    )
    register_attachment_target(
        "agreement",
        label=_("调解协议书"),
        model=Agreement,
        may_attach=mediates,
        describe=lambda a: str(a.label),  # a draft has no number yet
    )
    register_attachment_target(
        "notice", label=_("告知书"), model=Notice, may_attach=mediates, describe=lambda n: n.number
    )


def _register_personal_data() -> None:
    from intake.models import PURGED_NAME
    from luodian_platform.crypto import register_personal_data

    from .models import (
        AgreementParty,
        IssuedDocument,
        LegalService,
        Mediator,
        MediatorRelation,
        Signature,
    )

    # The agreement's copy of the parties' particulars (《人民调解法》 art. 29) goes with the
    # case's; the agreement itself (terms, dates, signatures' dates) stays for statistics.
    register_personal_data(
        AgreementParty,
        purge={"name": PURGED_NAME, "id_number": None, "phone": None, "address": ""},
        case_path="agreement__case",
    )
    # Handwritten signatures and the issued PDFs (which print the parties' particulars) go
    # with the case's particulars; the issued PDF's hash stays as the record of what was
    # issued.
    register_personal_data(Signature, purge={"png": None}, case_path="agreement__case")
    register_personal_data(IssuedDocument, purge={"pdf": None}, case_path="case")
    # Walk-in consultations have no case: retention counts from the day they were recorded.
    register_personal_data(
        LegalService,
        purge={"person_name": PURGED_NAME, "id_number": None, "phone": None},
        dated_by="created_at",
    )
    # Mediators' and their declared relations' details are staff records, kept while the
    # mediator is on the register: rotated and redacted in the audit trail, not purged.
    register_personal_data(Mediator, purge={}, case_path=None)
    register_personal_data(MediatorRelation, purge={}, case_path=None)
