from django.urls import path

from .views import EvaluationView, SatisfactionImportView, VisitReassignView

urlpatterns = [
    path(
        "followup/satisfaction-import/",
        SatisfactionImportView.as_view(),
        name="followup-satisfaction-import",
    ),
    path("followup/evaluation/", EvaluationView.as_view(), name="followup-evaluation"),
    path("visits/<int:pk>/reassign/", VisitReassignView.as_view(), name="visit-reassign"),
]
