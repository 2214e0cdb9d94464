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
                key="mediation_metric",
                template="mediation/_metric_panel.html",
                context=panels.metric_panel,
                order=10,
                column="side",
            )
        )
