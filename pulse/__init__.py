"""Pulse's core: what the service (`ingest`), the pipeline (`orchestration`), the
scripts and the benchmarks share.

Settings common to all of them and the paths under `PULSE_HOME` (`settings`), the one
database URL and the embedded PostgreSQL (`database_url`, `embedded_db`), dbt's
environment, executable and project vars (`dbt_env`), demo data (`demo_data`) and the
`pulse` command (`cli`). Nothing here imports `ingest` or `orchestration`; the command
loads a subcommand's module only when that subcommand runs.
"""
