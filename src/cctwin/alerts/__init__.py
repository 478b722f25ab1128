"""Alerts: events that match a rule become cases an operator handles (event -> rule -> alert)."""
