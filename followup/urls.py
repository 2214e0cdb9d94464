from django.urls import path

from . import notification_views, views

app_name = "followup"

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("visits/<int:pk>/", views.visit_page, name="visit"),
    path("visits/<int:pk>/reveal/<int:party_id>/", views.phone_reveal, name="phone_reveal"),
    path("visits/<int:pk>/reassign/", views.visit_reassign, name="visit_reassign"),
    path("import/", views.satisfaction_import_page, name="import"),
    path("evaluation/", views.evaluation_page, name="evaluation"),
    path("evaluation/method/", views.evaluation_method_page, name="evaluation_method"),
    path("evaluation/cases/", views.evaluation_cases_page, name="evaluation_cases"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/court-filings/", views.court_filing, name="court_filing"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path(
        "notifications/read/", notification_views.notification_mark_read, name="notifications_read"
    ),
]
