from django.urls import path

from . import notification_views, views

app_name = "followup"

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path(
        "notifications/read/", notification_views.notification_mark_read, name="notifications_read"
    ),
]
