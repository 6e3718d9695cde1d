"""reports owns no models: it reads the plan and kpi apps and aggregates them."""
