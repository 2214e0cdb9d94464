from django.urls import path

from . import views

app_name = "citizen"

urlpatterns = [
    path("lookup/", views.lookup_page, name="lookup"),
    path("apply/", views.apply_page, name="apply"),
    path("apply/done/<str:token>/", views.applied_page, name="applied"),
    path("evaluate/<str:token>/", views.evaluate_page, name="evaluate"),
    path("confirm/notice/<str:token>/", views.confirm_notice_page, name="confirm_notice"),
    path("confirm/term/<str:token>/", views.confirm_term_page, name="confirm_term"),
]
