from django.urls import path
from rest_framework.routers import SimpleRouter

from intake.actions import ACTIONS

from .channel import ChannelBulkView, ChannelOrderStatusView, ChannelOrderView
from .files import CaseFilesView, FileDownloadView
from .notes import CaseNotesView, CaseNoteView
from .views import CaseViewSet, PartyRevealView, action_view

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="case")

urlpatterns = [
    path("channel/orders/", ChannelOrderView.as_view(), name="channel-orders"),
    path("channel/orders/bulk/", ChannelBulkView.as_view(), name="channel-orders-bulk"),
    path(
        "channel/orders/<str:external_id>/",
        ChannelOrderStatusView.as_view(),
        name="channel-order-status",
    ),
    *router.urls,
    path("cases/<int:pk>/notes/", CaseNotesView.as_view(), name="case-notes"),
    path("cases/<int:pk>/notes/<int:note_id>/", CaseNoteView.as_view(), name="case-note"),
    path("cases/<int:pk>/files/", CaseFilesView.as_view(), name="case-files"),
    path("files/<int:pk>/", FileDownloadView.as_view(), name="file-download"),
    path("parties/<int:pk>/reveal/", PartyRevealView.as_view(), name="party-reveal"),
    *[
        path(f"cases/<int:pk>/{name}/", action_view(action).as_view(), name=f"case-{name}")
        for name, action in sorted(ACTIONS.items())
    ],
]
