"""Request logs and Prometheus metrics for the API."""
