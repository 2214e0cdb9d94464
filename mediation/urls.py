from django.urls import path

from . import chain_views, signature_views, views

app_name = "mediation"

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path(
        "cases/<int:pk>/<slug:kind>/register/",
        chain_views.chain_register,
        name="chain_register",
    ),
    path("chains/<slug:kind>/<int:pk>/<slug:step>/", chain_views.chain_step, name="chain_step"),
    path("cases/<int:pk>/", views.case_mediation, name="case"),
    path("cases/<int:pk>/sessions/new/", views.session_new, name="session_new"),
    path(
        "cases/<int:pk>/sessions/<int:session_pk>/record/",
        views.session_record,
        name="session_record",
    ),
    path("cases/<int:pk>/agreement/new/", views.agreement_new, name="agreement_new"),
    path("cases/<int:pk>/notice/new/", views.notice_new, name="notice_new"),
    path("cases/<int:pk>/joint/", views.joint_mediation, name="joint"),
    path("judicial-confirmations/<int:pk>/", views.judicial_confirmation, name="jc"),
    path(
        "judicial-confirmations/<int:pk>/apply/",
        views.judicial_confirmation_apply,
        name="jc_apply",
    ),
    path(
        "judicial-confirmations/<int:pk>/accept/",
        views.judicial_confirmation_accept,
        name="jc_accept",
    ),
    path(
        "judicial-confirmations/<int:pk>/decide/",
        views.judicial_confirmation_decide,
        name="jc_decide",
    ),
    path(
        "judicial-confirmations/<int:pk>/extend/",
        views.judicial_confirmation_extend,
        name="jc_extend",
    ),
    path("agreements/<int:pk>/", views.agreement_page, name="agreement"),
    path("agreements/<int:pk>/pdf/", views.agreement_pdf, name="agreement_pdf"),
    path(
        "agreements/<int:pk>/signature/",
        signature_views.agreement_signature,
        name="agreement_signature",
    ),
    path("agreements/<int:pk>/full/", views.agreement_full, name="agreement_full"),
    path("notices/<int:pk>/", views.notice_page, name="notice"),
    path("notices/<int:pk>/pdf/", views.notice_pdf, name="notice_pdf"),
    path("referrals/<int:pk>/report/", views.referral_report, name="referral_report"),
    path("referrals/<int:pk>/report/pdf/", views.referral_report_pdf, name="referral_report_pdf"),
    path("legal/", views.legal_services, name="legal_services"),
    path(
        "petitions/<int:pk>/notice/pdf/",
        chain_views.petition_notice_pdf,
        name="petition_notice_pdf",
    ),
    path(
        "petitions/<int:pk>/reply/pdf/", chain_views.petition_reply_pdf, name="petition_reply_pdf"
    ),
    path("petitions/<int:pk>/<slug:doc>/", chain_views.petition_document, name="petition_document"),
]
