from django.urls import path

from .views import SatisfactionImportView

urlpatterns = [
    path(
        "followup/satisfaction-import/",
        SatisfactionImportView.as_view(),
        name="followup-satisfaction-import",
    ),
]
