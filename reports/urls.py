from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("dashboard/", views.overview, name="overview"),
    path("dashboard/departments/<id:department_id>/", views.department, name="department"),
    path("dashboard/at-risk/", views.at_risk, name="at_risk"),
    path("reports/yearly/", views.yearly, name="yearly"),
    path("reports/yearly/download/", views.yearly_download, name="yearly_download"),
    path("reports/yearly/print/", views.yearly_print, name="yearly_print"),
    path("reports/yearly/section/", views.yearly_section, name="yearly_section"),
    path("reports/yearly/pack/", views.pack_download, name="pack_download"),
    path("reports/yearly/exports/", views.yearly_export_start, name="yearly_export_start"),
    path("reports/yearly/exports/<uuid:export_id>/", views.yearly_export, name="yearly_export"),
    path("reports/yearly/exports/<uuid:export_id>/file/", views.yearly_export_file, name="yearly_export_file"),
    # The public transparency page and the open-data files (no sign-in): reports.views.public.
    path("public/", views.public_home, name="public_home"),
    path("public/<roc_year:year>/", views.public_home, name="public_year"),
    path("public/<roc_year:year>/departments/<id:department_id>/", views.public_department, name="public_department"),
    path("open-data/", views.open_data, name="open_data"),
    path("open-data/attainment/<roc_year:year>.json", views.open_data_json, name="open_data_json"),
    path("open-data/attainment/<roc_year:year>.csv", views.open_data_csv, name="open_data_csv"),
]
