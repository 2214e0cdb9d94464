from django.urls import path

from .views import AuditEntryListView

urlpatterns = [path("audit/", AuditEntryListView.as_view(), name="audit-list")]
