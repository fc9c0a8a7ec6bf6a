"""CPU time per 500-event batch: Pulse `/batch` against the pgbench statement of baseline (b).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m bench.ingest.cpu [--seconds 8] [--workers 1]

Events per second move with whatever else runs on a shared machine; CPU time per batch
moves much less, and on a machine whose cores are saturated it decides the throughput.
This reads the Linux process accounting (/proc/<pid>/stat) of each side while it runs:
  Pulse: the uvicorn process(es), the PostgreSQL backends of the scratch database and
         the load generator (bench/ingest/loadgen.py, 4 connections);
  (b):   the pgbench backends and pgbench itself (4 clients, the statement of run.py).
Only the middle of each run is counted (not connection set-up, warm-up or the end).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from bench.ingest.run import (
    ROOT,
    loadgen_command,
    pgbench_command,
    pgbench_script,
    scratch_bench,
    start_server,
    stop,
)

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the processes (their threads included) that still exist."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / _TICKS_PER_SECOND


def with_children(pid: int) -> list[int]:
    """`pid` and its child processes (uvicorn's workers when --workers > 1)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if parent == pid:
                children.append(int(entry.name))
    return [pid, *children]


def backends(engine: Engine, application_name: str | None = None) -> list[int]:
    query = "select pid from pg_stat_activity where datname = current_database() "
    query += "and pid <> pg_backend_pid()"
    if application_name:
        query += " and application_name = :name"
    with engine.connect() as connection:
        return list(connection.scalars(text(query), {"name": application_name}))


def stored_events(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("select count(*) from app.activity_events")) or 0


def measure(
    engine: Engine, side: dict[str, list[int]], seconds: float
) -> tuple[dict[str, float], int]:
    """CPU seconds of each group of processes and the events stored, over `seconds`."""
    before = {name: cpu_seconds(pids) for name, pids in side.items()}
    events_before = stored_events(engine)
    time.sleep(seconds)
    after = {name: cpu_seconds(pids) for name, pids in side.items()}
    events = stored_events(engine) - events_before
    return {name: after[name] - before[name] for name in side}, events


def per_batch(cpu: dict[str, float], events: int) -> dict[str, float]:
    batches = events / 500
    costs = {name: round(1000 * value / batches, 2) for name, value in cpu.items()}
    costs["total"] = round(sum(costs.values()), 2)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    with scratch_bench() as bench:
        env, token, logs, database_url = bench.env, bench.token, bench.logs, bench.database_url
        # A new connection per query: the counting backend is never one of those measured.
        engine = create_engine(database_url, poolclass=NullPool)
        try:
            server, port = start_server("ingest.main:app", env, args.workers, logs / "pulse.log")
            loadgen = subprocess.Popen(
                loadgen_command(port, "/api/activity/batch", "batch", 4, args.seconds + 1, token),
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            time.sleep(2.5)  # warm-up: connections open, statements prepared
            pulse_cpu, pulse_events = measure(
                engine,
                {
                    "uvicorn": with_children(server.pid),
                    "postgres": backends(engine),
                    "loadgen": [loadgen.pid],
                },
                args.seconds,
            )
            loadgen.wait()
            stop(server)

            with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
                script.write(pgbench_script())
            pgbench = subprocess.Popen(
                pgbench_command(database_url, script.name, 4, args.seconds + 3),
                stdout=subprocess.DEVNULL,
            )
            time.sleep(1.5)
            pgbench_cpu, pgbench_events = measure(
                engine,
                {"postgres": backends(engine, "pgbench"), "pgbench": [pgbench.pid]},
                args.seconds,
            )
            pgbench.wait()
            os.unlink(script.name)
        finally:
            engine.dispose()

    pulse = per_batch(pulse_cpu, pulse_events)
    baseline = per_batch(pgbench_cpu, pgbench_events)
    print(
        json.dumps(
            {"Pulse /batch: CPU ms per batch": pulse, "(b) pgbench: CPU ms per batch": baseline},
            indent=2,
        )
    )
    print(
        f"CPU per batch: (b) {baseline['total']} ms / Pulse {pulse['total']} ms = "
        f"{baseline['total'] / pulse['total']:.0%} (the /batch share of (b)'s rate that "
        "saturated cores allow)"
    )


if __name__ == "__main__":
    main()
