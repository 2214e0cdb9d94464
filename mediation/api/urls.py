from django.urls import path

from . import chains
from . import views as v

urlpatterns = [
    path("mediators/", v.MediatorListView.as_view(), name="mediator-list"),
    path(
        "cases/<int:pk>/mediators/suggestions/",
        v.SuggestionView.as_view(),
        name="case-mediator-suggestions",
    ),
    path("cases/<int:pk>/mediators/", v.AssignView.as_view(), name="case-mediator-assign"),
    path("cases/<int:pk>/sessions/", v.SessionListView.as_view(), name="case-sessions"),
    path("sessions/<int:pk>/record/", v.SessionRecordView.as_view(), name="session-record"),
    path("cases/<int:pk>/joint-mediation/", v.JointView.as_view(), name="case-joint-mediation"),
    path("cases/<int:pk>/agreements/", v.AgreementCreateView.as_view(), name="case-agreements"),
    path("agreements/<int:pk>/", v.AgreementDetailView.as_view(), name="agreement-detail"),
    path("agreements/<int:pk>/sign/", v.AgreementSignView.as_view(), name="agreement-sign"),
    path(
        "agreements/<int:pk>/signature/",
        v.AgreementSignatureView.as_view(),
        name="agreement-signature",
    ),
    path("agreements/<int:pk>/pdf/", v.AgreementPdfView.as_view(), name="agreement-pdf"),
    path("cases/<int:pk>/notices/", v.NoticeCreateView.as_view(), name="case-notices"),
    path("notices/<int:pk>/", v.NoticeDetailView.as_view(), name="notice-detail"),
    path("notices/<int:pk>/pdf/", v.NoticePdfView.as_view(), name="notice-pdf"),
    path(
        "judicial-confirmations/<int:pk>/", v.JudicialConfirmationView.as_view(), name="jc-detail"
    ),
    path("judicial-confirmations/<int:pk>/apply/", v.JCApplyView.as_view(), name="jc-apply"),
    path("judicial-confirmations/<int:pk>/accept/", v.JCAcceptView.as_view(), name="jc-accept"),
    path("judicial-confirmations/<int:pk>/extend/", v.JCExtendView.as_view(), name="jc-extend"),
    path("judicial-confirmations/<int:pk>/decide/", v.JCDecideView.as_view(), name="jc-decide"),
    path(
        "cases/<int:pk>/court-referral/", v.ReferralCreateView.as_view(), name="case-court-referral"
    ),
    path(
        "court-referrals/<int:pk>/extend/", v.ReferralExtendView.as_view(), name="referral-extend"
    ),
    path(
        "court-referrals/<int:pk>/report/", v.ReferralReportView.as_view(), name="referral-report"
    ),
    path("cases/<int:pk>/petition/", chains.CasePetitionView.as_view(), name="case-petition"),
    path(
        "petitions/<int:pk>/<slug:step>/", chains.PetitionStepView.as_view(), name="petition-step"
    ),
    path("cases/<int:pk>/labour/", chains.CaseLabourView.as_view(), name="case-labour"),
    path("labour/<int:pk>/<slug:step>/", chains.LabourStepView.as_view(), name="labour-step"),
    path("legal-services/", v.LegalServiceListView.as_view(), name="legal-services"),
    path(
        "legal-services/<int:pk>/decide/", v.LegalAidDecideView.as_view(), name="legal-aid-decide"
    ),
    path(
        "legal-services/<int:pk>/assign-lawyer/",
        v.LegalAidLawyerView.as_view(),
        name="legal-aid-lawyer",
    ),
]
