"""Ingest benchmark: Pulse's `/record` and `/batch` against baselines measured in the same run.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m bench.ingest.run [--seconds 10] [--workers 1]

Creates a scratch database on DATABASE_URL's server (dropped at the end), then measures:
  (a) baseline: bench/ingest/baseline_app.py (one INSERT per request) at 64 connections;
  Pulse `/api/activity/record` at 64 connections (group commit);
  Pulse `/api/activity/batch` with 500-event batches, then
  (b) baseline: pgbench running 500-row multi-row INSERTs into app.activity_events;
  the last two alternate for --rounds rounds and the ratio reported is the median of the
  rounds' ratios, so a burst of other load on a shared machine moves one round, not all.
Both servers run under uvicorn with the same settings (uvloop, httptools).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from ingest.tokens import make_token
from pulse.database_url import libpq_params
from tests.support.databases import create_database, drop_database, server_url
from tests.support.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]
BENCH_SECRET = "bench-secret-" + "x" * 32


def start_server(
    app: str, env: dict[str, str], workers: int, log: Path
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return process, port
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{app} did not start: {log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


def loadgen_command(
    port: int, path: str, kind: str, concurrency: int, seconds: float, token: str
) -> list[str]:
    """The load generator's command line (bench/ingest/loadgen.py, in its own process)."""
    return [
        sys.executable, "-m", "bench.ingest.loadgen", "--port", str(port), "--path", path,
        "--kind", kind, "--concurrency", str(concurrency), "--seconds", str(seconds),
        "--token", token,
    ]  # fmt: skip


def load(
    port: int, path: str, kind: str, concurrency: int, seconds: float, token: str
) -> dict[str, float]:
    output = subprocess.run(
        loadgen_command(port, path, kind, concurrency, seconds, token),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(output.stdout)


def bench_environment(database_url: str) -> dict[str, str]:
    """The environment of the servers under test, on the scratch database."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "JWT_SECRET": BENCH_SECRET,
        "PULSE_ENV": "test",
        # The load comes from one user on purpose: the per-user rate limit is off here.
        "PULSE_RATE_LIMIT_PER_SECOND": "0",
    }


@dataclass
class ScratchBench:
    database_url: str
    env: dict[str, str]  # the servers' environment (bench_environment)
    token: str  # the one player the load comes from
    logs: Path


@contextmanager
def scratch_bench() -> Iterator[ScratchBench]:
    """A migrated scratch database with the bench's player, dropped afterwards."""
    base = server_url()
    name = f"pulse_bench_{uuid.uuid4().hex[:8]}"
    database_url = create_database(base, name)
    try:
        env = bench_environment(database_url)
        yield ScratchBench(
            database_url=database_url,
            env=env,
            token=prepare_database(database_url, env),
            logs=Path(tempfile.mkdtemp(prefix="pulse-bench-")),
        )
    finally:
        drop_database(base, name)


def prepare_database(database_url: str, env: dict[str, str]) -> str:
    """Migrates the scratch database and adds the one player the load comes from;
    returns that player's token."""
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("insert into app.users (id, created_at) values (1, now())"))
    engine.dispose()
    return make_token(1, ttl_seconds=3600, secret=BENCH_SECRET)


def pgbench_script() -> str:
    """Baseline (b)'s statement: the same 500 rows as a /batch request, as one INSERT."""
    values = ",".join(
        "(gen_random_uuid(), 1, 'dice_play', now(), null, '{\"table\":7}')" for _ in range(500)
    )
    return (
        "insert into app.activity_events (event_id, user_id, event_type, occurred_at, "
        f"play_duration_seconds, metadata) values {values};\n"
    )


def pgbench_command(database_url: str, script: str, clients: int, seconds: float) -> list[str]:
    """pgbench running `script` with `clients` clients for `seconds` on the database
    (a TCP or a unix-socket URL, such as the embedded PostgreSQL's)."""
    params = libpq_params(database_url)
    return [
        "pgbench", "-n", "-f", script, "-c", str(clients), "-j", str(clients),
        "-T", str(int(seconds)), "-h", params["host"], "-p", params["port"],
        "-U", params["user"], params["dbname"],
    ]  # fmt: skip


def pgbench_multirow(database_url: str, seconds: float, clients: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(pgbench_script())
    command = pgbench_command(database_url, handle.name, clients, seconds)
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    os.unlink(handle.name)
    tps = next(
        float(line.split("=")[1].split()[0])
        for line in output.splitlines()
        if line.startswith("tps")
    )
    latency = next(
        float(line.split("=")[1].split()[0])
        for line in output.splitlines()
        if "latency average" in line
    )
    return {
        "statements_per_s": round(tps, 1),
        "events_per_s": round(tps * 500, 1),
        "avg_ms": latency,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch-concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="alternating /batch and (b) runs")
    args = parser.parse_args()

    results: dict[str, dict[str, float]] = {}
    with scratch_bench() as bench:
        env, token, logs = bench.env, bench.token, bench.logs
        process, port = start_server(
            "bench.ingest.baseline_app:app", env, args.workers, logs / "baseline.log"
        )
        results["(a) baseline: one INSERT per request"] = load(
            port, "/record", "record", 64, args.seconds, token
        )
        stop(process)

        process, port = start_server("ingest.main:app", env, args.workers, logs / "pulse.log")
        results["Pulse /api/activity/record"] = load(
            port, "/api/activity/record", "record", 64, args.seconds, token
        )
        concurrency = args.batch_concurrency
        batch_load = ("/api/activity/batch", "batch", concurrency, args.seconds, token)
        batch_rounds, pgbench_rounds = [], []
        for _ in range(args.rounds):
            batch_rounds.append(load(port, *batch_load))
            pgbench_rounds.append(pgbench_multirow(bench.database_url, args.seconds, concurrency))
        stop(process)

    round_ratios = [
        batch["events_per_s"] / baseline["events_per_s"]
        for batch, baseline in zip(batch_rounds, pgbench_rounds, strict=True)
    ]
    middle = sorted(range(len(round_ratios)), key=round_ratios.__getitem__)[len(round_ratios) // 2]
    # The lines below are the round whose ratio is the median; every round is listed too.
    results["Pulse /api/activity/batch (500/batch)"] = batch_rounds[middle]
    results["(b) baseline: pgbench 500-row INSERT"] = pgbench_rounds[middle]
    results["rounds: events/s"] = {}
    for number, (batch, baseline) in enumerate(zip(batch_rounds, pgbench_rounds, strict=True)):
        results["rounds: events/s"][f"{number + 1}: /batch"] = batch["events_per_s"]
        results["rounds: events/s"][f"{number + 1}: (b)"] = baseline["events_per_s"]

    record, baseline_a = (
        results["Pulse /api/activity/record"],
        results["(a) baseline: one INSERT per request"],
    )
    print(json.dumps(results, indent=2))
    record_ratio = record["events_per_s"] / baseline_a["events_per_s"]
    print(
        f"record / baseline (a) events/s: {record_ratio:.2f}x (target >= 1.2x); "
        f"p99 {record['p99_ms']} ms vs {baseline_a['p99_ms']} ms"
    )
    print(
        f"batch / baseline (b) events/s: {round_ratios[middle]:.0%} (target >= 40%), median of "
        f"rounds {', '.join(f'{ratio:.0%}' for ratio in round_ratios)}"
    )


if __name__ == "__main__":
    main()
