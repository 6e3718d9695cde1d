"""API v1 for attainment (達成度): the same figures as the dashboards, from kpi.assessments."""
