"""Pulse ingest service: activity events, user mirror and deposit feed, admin API."""
