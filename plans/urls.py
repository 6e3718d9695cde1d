from django.urls import path

from plans import views

app_name = "plans"
urlpatterns = [
    path("", views.home, name="home"),
    path("plans/<int:plan_id>/departments/<int:department_id>/", views.department_plan_detail, name="department_plan"),
]
