"""API v1 for the plan hierarchy: plans, departments, department plans, goals, objectives, common goals."""
