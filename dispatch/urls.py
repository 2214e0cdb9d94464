from django.urls import path

from . import views

app_name = "dispatch"

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("department/", views.officer_workbench, name="officer_workbench"),
]
