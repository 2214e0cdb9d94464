from django.urls import path

from . import views

urlpatterns = [
    path(
        "cases/<int:pk>/routing-suggestion/",
        views.RoutingSuggestionView.as_view(),
        name="case-routing-suggestion",
    ),
    path(
        "cases/<int:pk>/dispatch-suggested/",
        views.ConfirmSuggestionView.as_view(),
        name="case-dispatch-suggested",
    ),
    path("cases/<int:pk>/extensions/", views.CaseExtensionsView.as_view(), name="case-extensions"),
    path(
        "cases/<int:pk>/supervisions/",
        views.CaseSupervisionsView.as_view(),
        name="case-supervisions",
    ),
    path(
        "cases/<int:pk>/calendar-estimates/",
        views.CaseCalendarEstimatesView.as_view(),
        name="case-calendar-estimates",
    ),
    path(
        "calendar-estimates/",
        views.CalendarEstimateListView.as_view(),
        name="calendar-estimate-list",
    ),
    path(
        "calendar-estimates/recompute/",
        views.CalendarEstimateRecomputeView.as_view(),
        name="calendar-estimate-recompute",
    ),
    path("extensions/", views.ExtensionListView.as_view(), name="extension-list"),
    path(
        "extensions/<int:pk>/decision/",
        views.ExtensionDecisionView.as_view(),
        name="extension-decision",
    ),
    path("supervisions/", views.SupervisionListView.as_view(), name="supervision-list"),
    path(
        "supervisions/<int:pk>/response/",
        views.SupervisionResponseView.as_view(),
        name="supervision-response",
    ),
    path("corrections/", views.CorrectionListCreateView.as_view(), name="correction-list"),
    path(
        "stalls/<int:pk>/correction/",
        views.StallCorrectionView.as_view(),
        name="stall-correction",
    ),
    path(
        "corrections/suggestions/",
        views.CorrectionSuggestionsView.as_view(),
        name="correction-suggestions",
    ),
    path(
        "corrections/<int:pk>/feedback/",
        views.CorrectionFeedbackView.as_view(),
        name="correction-feedback",
    ),
    path("corrections/<int:pk>/talk/", views.CorrectionTalkView.as_view(), name="correction-talk"),
]
