"""Storing activity events exactly once per event_id."""
