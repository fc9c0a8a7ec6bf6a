"""Pulse orchestration: the Dagster code location (assets, checks, schedules, sensors)."""
