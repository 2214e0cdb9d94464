from django.urls import path

from . import views

app_name = "dispatch"

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("department/", views.officer_workbench, name="officer_workbench"),
    path("cases/<int:pk>/confirm/", views.confirm_suggestion, name="confirm_suggestion"),
    path("cases/<int:pk>/extension/", views.extension_request, name="extension_request"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension_decide"),
    path("cases/<int:pk>/supervise/", views.supervision_create, name="supervision_create"),
    path("supervisions/<int:pk>/respond/", views.supervision_respond, name="supervision_respond"),
    path("corrections/", views.corrections, name="corrections"),
    path("corrections/new/", views.correction_new, name="correction_new"),
    path("corrections/<int:pk>/feedback/", views.correction_feedback, name="correction_feedback"),
    path("stalls/<int:pk>/correct/", views.stall_correct, name="stall_correct"),
    path("estimates/recompute/", views.estimates_recompute, name="estimates_recompute"),
]
