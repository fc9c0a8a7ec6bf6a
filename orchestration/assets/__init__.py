"""Pulse's assets: the raw tables the ingest service writes and the dbt models built on them."""
