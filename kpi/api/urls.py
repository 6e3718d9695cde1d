from django.urls import path

from kpi.api import views

app_name = "api"
urlpatterns = [
    path("indicators/", views.IndicatorListView.as_view(), name="indicator-list"),
]
