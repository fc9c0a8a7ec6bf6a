"""Pydantic request and response bodies, kept apart from the tables they map to."""
