from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("intake/", views.workbench, name="workbench"),
    path("cases/", views.case_list_page, name="case_list"),
    path("cases/<int:pk>/", views.case_detail_page, name="case_detail"),
    path("cases/<int:pk>/act/<slug:name>/", views.case_action_page, name="case_action"),
]
