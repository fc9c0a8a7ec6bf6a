"""What the ingest service and the pipeline share, so neither imports the other."""
