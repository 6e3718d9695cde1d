from django.urls import path

from plans.api import views

urlpatterns = [
    path("plans/", views.PlanListView.as_view(), name="plan-list"),
    path("plans/<id:pk>/", views.PlanDetailView.as_view(), name="plan-detail"),
    path("departments/", views.DepartmentListView.as_view(), name="department-list"),
    path("department-plans/", views.DepartmentPlanListView.as_view(), name="department-plan-list"),
    path("department-plans/<id:pk>/", views.DepartmentPlanDetailView.as_view(), name="department-plan-detail"),
    path("goals/", views.GoalListView.as_view(), name="goal-list"),
    path("goals/<id:pk>/", views.GoalDetailView.as_view(), name="goal-detail"),
    path("objectives/", views.ObjectiveListView.as_view(), name="objective-list"),
    path("objectives/<id:pk>/", views.ObjectiveDetailView.as_view(), name="objective-detail"),
    path("common-goals/", views.CommonGoalListView.as_view(), name="common-goal-list"),
    path("common-goals/<id:pk>/", views.CommonGoalDetailView.as_view(), name="common-goal-detail"),
]
