"""The indicator, period and report endpoints of API v1 (included by config/api_urls.py)."""

from django.urls import path

from kpi.api import views

app_name = "api"
urlpatterns = [
    path("indicators/", views.IndicatorListView.as_view(), name="indicator-list"),
    path("indicators/<id:pk>/", views.IndicatorDetailView.as_view(), name="indicator-detail"),
    path("periods/", views.PeriodListView.as_view(), name="period-list"),
    path("periods/<id:pk>/", views.PeriodDetailView.as_view(), name="period-detail"),
    path("periods/<id:pk>/lock/", views.PeriodLockView.as_view(), name="period-lock"),
    path("periods/<id:pk>/unlock/", views.PeriodUnlockView.as_view(), name="period-unlock"),
    path("reports/", views.ReportListView.as_view(), name="report-list"),
    path("reports/approve/", views.ReportBulkApproveView.as_view(), name="report-approve-many"),
    path("reports/<id:pk>/", views.ReportDetailView.as_view(), name="report-detail"),
    path("reports/<id:pk>/events/", views.ReportEventListView.as_view(), name="report-events"),
    path("reports/<id:pk>/comments/", views.ReportCommentListView.as_view(), name="report-comments"),
    path("reports/<id:pk>/submit/", views.ReportSubmitView.as_view(), name="report-submit"),
    path("reports/<id:pk>/approve/", views.ReportApproveView.as_view(), name="report-approve"),
    path("reports/<id:pk>/return/", views.ReportReturnView.as_view(), name="report-return"),
    path("reports/<id:pk>/reopen/", views.ReportReopenView.as_view(), name="report-reopen"),
    path("reports/<id:pk>/evidence/", views.EvidenceUploadView.as_view(), name="report-evidence"),
]
