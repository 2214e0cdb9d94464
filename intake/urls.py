from django.urls import path

from . import note_views, views
from .evidence import views as file_views

app_name = "intake"

urlpatterns = [
    path("intake/", views.workbench, name="workbench"),
    path("intake/register/", views.register_page, name="register"),
    path("intake/register/duplicates/", views.register_duplicates, name="register_duplicates"),
    path("intake/inbox/", views.inbox_page, name="inbox"),
    path("intake/inbox/take-in/", views.inbox_take_in, name="inbox_take_in"),
    path("cases/", views.case_list_page, name="case_list"),
    path("cases/<int:pk>/", views.case_detail_page, name="case_detail"),
    path("cases/<int:pk>/notes/new/", note_views.note_add_page, name="note_add"),
    path("cases/<int:pk>/notes/<int:note_id>/edit/", note_views.note_edit_page, name="note_edit"),
    path("cases/<int:pk>/receipt/", views.receipt_page, name="receipt"),
    path("parties/<int:pk>/reveal/", views.party_reveal_page, name="party_reveal"),
    path("cases/<int:pk>/act/<slug:name>/", views.case_action_page, name="case_action"),
    path("cases/<int:pk>/files/", file_views.file_upload, name="file_upload"),
    path("files/<int:pk>/", file_views.file_download, name="file_download"),
    path("files/<int:pk>/thumbnail/", file_views.file_thumbnail, name="file_thumbnail"),
]
