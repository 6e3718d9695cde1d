from django.urls import path

from reports.api import views

urlpatterns = [
    path("attainment/", views.AttainmentView.as_view(), name="attainment"),
]
