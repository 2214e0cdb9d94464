from django.urls import path

from . import views

app_name = "mediation"

urlpatterns = [path("", views.workbench, name="workbench")]
