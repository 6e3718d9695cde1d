from django.urls import path

from kpi import views
from kpi.views.reporting import report_autosave, report_preview

app_name = "kpi"
urlpatterns = [
    path("", views.home, name="home"),
    path("plans/<id:plan_id>/departments/<id:department_id>/", views.department_plan_detail, name="department_plan"),
    path(
        "plans/<id:plan_id>/departments/<id:department_id>/planning/<roc_year:year>/",
        views.planning_screen,
        name="planning",
    ),
    path("planning/", views.planning_index, name="planning_index"),
    path(
        "plans/<id:plan_id>/departments/<id:department_id>/workbook/",
        views.plan_workbook_download,
        name="plan_workbook",
    ),
    path(
        "plans/<id:plan_id>/departments/<id:department_id>/workbook/import/",
        views.plan_workbook_import,
        name="plan_workbook_import",
    ),
    path(
        "plans/<id:plan_id>/departments/<id:department_id>/workbook/import/confirm/",
        views.plan_workbook_confirm,
        name="plan_workbook_confirm",
    ),
    path("plans/<id:plan_id>/workbook-template/", views.plan_workbook_template, name="plan_workbook_template"),
    path("kpi/<id:indicator_id>/", views.indicator_detail, name="detail"),
    path("kpi/<id:indicator_id>/periods/<id:period_id>/report/", views.report_form, name="report"),
    path("kpi/<id:indicator_id>/periods/<id:period_id>/report/preview/", report_preview, name="report_preview"),
    path("kpi/<id:indicator_id>/periods/<id:period_id>/report/autosave/", report_autosave, name="report_autosave"),
    path("departments/<id:department_id>/periods/<id:period_id>/report/", views.report_grid, name="grid"),
    path("reports/<id:report_id>/review/", views.report_review, name="review"),
    path("reports/<id:report_id>/reopen/", views.report_reopen, name="reopen"),
    path("review/approve/", views.review_bulk, name="review_bulk"),
    path("reports/import/", views.report_import, name="report_import"),
    path("reports/import/template/", views.report_import_template, name="report_import_template"),
    path("people/import/", views.user_import, name="user_import"),
    path("people/import/template/", views.user_import_template, name="user_import_template"),
    path("reports/<id:report_id>/evidence/", views.evidence_add, name="evidence_add"),
    path("evidence/<id:evidence_id>/", views.evidence_download, name="evidence_download"),
    path("evidence/<id:evidence_id>/view/", views.evidence_view, name="evidence_view"),
    path("evidence/<id:evidence_id>/remove/", views.evidence_remove, name="evidence_remove"),
    path("reports/<id:report_id>/comments/", views.report_comment, name="comment"),
    path("my/", views.my_updates, name="my_updates"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<id:notification_id>/read/", views.inbox_read, name="inbox_read"),
    path("inbox/read-all/", views.inbox_read_all, name="inbox_read_all"),
    path("settings/notifications/", views.notification_settings, name="notification_settings"),
    path("review/", views.review_queue, name="review_queue"),
    path("periods/", views.period_list, name="periods"),
    path("periods/<id:period_id>/lock/", views.period_lock, name="period_lock"),
    path("periods/<id:period_id>/unlock/", views.period_unlock, name="period_unlock"),
]
