"""Freshness benchmark: from an event's 202 to the admin API showing it, under steady load.

    .venv/bin/python -m bench.freshness.run \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/pulse_fresh_small \\
        --rate 1000 --seconds 600

Against a database that already holds players (demo data or a copy of production), it
starts what `make run` starts, in production's layout: the API (`uvicorn
ingest.main:app`) and the Dagster daemon (`scripts/run_dagster.py daemon`: schedules,
sensors, run queue), with a throwaway PULSE_HOME and DAGSTER_HOME. Then:

1. publishes once (`scripts/segment_users.py`, incremental) so every player has a profile;
2. **refresh off** (`--baseline-seconds`, daemon not running): the load alone, for the
   write path's throughput and latency without refreshes;
3. starts the daemon and waits until the backlog of phase 2 is published;
4. **refresh on** (`--seconds`): the same load plus probes (bench/freshness/loadgen.py),
   each timed from its 202 to the moment the admin API's profile of its player includes
   it; then waits (`--drain-seconds` at most) for the last probes to show;
5. stops the daemon once no refresh runs, and **refresh off** again
   (`--baseline-seconds`). The `/batch` p99 of phase 4 is reported over that of phases 2
   and 5 pooled.

The load: `--rate` events/s through `/api/activity/batch` (`--batch-size` events per
request, a random player each), `--deposit-rate` deposit upserts/s through
`PUT /admin/api/external-ranking/{id}`, and the probes through `/record`. It writes
`bench/results/freshness-<time>.json` (every probe, every refresh run with where its
time went, both phases' figures) and prints a summary. The database keeps what the load
wrote: use a copy.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, text

from bench.freshness.loadgen import LoadGenerator, LoadResult, Probe, Requests, Watcher
from bench.freshness.runs import RefreshRun, refresh_runs
from pulse.freshness import read_unpublished
from tests.support.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
DEPOSIT_PLAYERS = 2000
START_SECONDS = 120


def percentile(samples: list[float], fraction: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def distribution(samples: list[float]) -> dict[str, Any]:
    return {
        "count": len(samples),
        "p50": percentile(samples, 0.50),
        "p95": percentile(samples, 0.95),
        "p99": percentile(samples, 0.99),
        "max": max(samples) if samples else None,
    }


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its reaped children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for_api(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit("the API did not become ready")


def wait_until_published(engine: Engine, deadline_seconds: float) -> float:
    """Wait until nothing stored is left unpublished; how long that took."""
    started = time.monotonic()
    while time.monotonic() - started < deadline_seconds:
        with engine.connect() as connection:
            if not read_unpublished(connection).anything_new:
                return time.monotonic() - started
        time.sleep(1)
    raise SystemExit(f"the backlog was not published within {deadline_seconds:.0f} s")


def wait_for_runs_to_end(deadline_seconds: float) -> None:
    """Wait until no refresh is queued or running, so stopping the daemon interrupts none."""
    from dagster import DagsterInstance

    from orchestration.event_refresh import refresh_in_progress

    started = time.monotonic()
    with DagsterInstance.get() as instance:
        while refresh_in_progress(instance) is not None:
            if time.monotonic() - started > deadline_seconds:
                print("    a refresh is still running; stopping anyway", flush=True)
                return
            time.sleep(1)


def bench_environment(args: argparse.Namespace, home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "PULSE_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster"),
        "PULSE_ENV": "test",
        "JWT_SECRET": "bench-freshness-" + uuid.uuid4().hex,
        "PULSE_REFRESH_MIN_INTERVAL_SECONDS": str(args.min_interval),
        "PULSE_EVENT_REFRESH_TICK_SECONDS": str(args.tick),
        "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
    }


def players_and_deposits(engine: Engine) -> tuple[list[int], dict[int, Decimal]]:
    with engine.connect() as connection:
        players: list[int] = list(connection.execute(text("select id from app.users")).scalars())
        if not players:
            raise SystemExit("the database has no players: load some first")
        chosen = random.sample(players, min(DEPOSIT_PLAYERS, len(players)))
        current: dict[int, Decimal] = dict(
            connection.execute(
                text(
                    "select user_id, deposit_amount from app.external_ranking_data "
                    "where user_id = any(:ids)"
                ),
                {"ids": chosen},
            ).all()
        )
    return players, {user_id: Decimal(current.get(user_id, 0)) for user_id in chosen}


def phase_figures(result: LoadResult, api_cpu: float) -> dict[str, Any]:
    def requests(kind: Requests) -> dict[str, Any]:
        return {
            "requests": len(kind.latencies),
            "statuses": {str(status): count for status, count in sorted(kind.statuses.items())},
            "latency_seconds": distribution(kind.latencies),
        }

    return {
        "seconds": result.seconds,
        "events_accepted": result.batches.events + result.records.events,
        "events_per_second": (result.batches.events + result.records.events) / result.seconds,
        "batch": requests(result.batches),
        "record": requests(result.records),
        "deposit": requests(result.deposits),
        "generator_behind_seconds": result.behind_seconds,
        "generator_cpu_share": result.cpu_seconds / result.seconds,
        "api_cpu_share": api_cpu / result.seconds,
    }


# A probe shows once its run has published, which is a few seconds before the run ends
# (dagster-dbt's wrap-up), and is seen at most a poll after the publish.
PUBLISH_TO_SEEN_SLACK_SECONDS = 2.0


def probe_figures(probes: list[Probe], runs: list[RefreshRun]) -> dict[str, Any]:
    """Latency by kind, and for events which part of it waited for what."""
    finished = [run for run in runs if run.status == "SUCCESS" and run.ended is not None]
    waits: dict[str, list[float]] = {"until_requested": [], "requested_to_seen": []}
    for probe in probes:
        if probe.seen is None:
            continue
        # The run that published it: the first to end after the admin API showed it
        # (runs never overlap, so at most one is going at any moment).
        publishing = [
            run
            for run in finished
            if run.ended is not None and run.ended > probe.seen - PUBLISH_TO_SEEN_SLACK_SECONDS
        ]
        if publishing:
            run = publishing[0]
            waits["until_requested"].append(run.requested - probe.accepted)
            waits["requested_to_seen"].append(probe.seen - run.requested)
    by_kind = {
        kind: [
            probe.latency for probe in probes if probe.kind == kind and probe.latency is not None
        ]
        for kind in ("event", "deposit")
    }
    return {
        "events": distribution(by_kind["event"]),
        "deposits": distribution(by_kind["deposit"]),
        "unseen": sum(1 for probe in probes if probe.seen is None),
        "median_parts_seconds": {
            part: statistics.median(values) if values else None for part, values in waits.items()
        },
    }


def run_figures(runs: list[RefreshRun]) -> dict[str, Any]:
    durations = [run.duration for run in runs if run.duration is not None]
    phases: dict[str, list[float]] = {}
    models: dict[str, list[float]] = {}
    for run in runs:
        if run.status != "SUCCESS" or run.job_name != "segment_refresh":
            continue
        for name, seconds in run.phases.items():
            phases.setdefault(name, []).append(seconds)
        for name, seconds in run.models.items():
            models.setdefault(name, []).append(seconds)
    return {
        "runs": len(runs),
        "by_status": {
            status: sum(1 for run in runs if run.status == status)
            for status in sorted({run.status for run in runs})
        },
        "by_trigger": {
            trigger: sum(1 for run in runs if run.trigger == trigger)
            for trigger in sorted({run.trigger for run in runs})
        },
        "duration_seconds": distribution(durations),
        "median_phase_seconds": {name: statistics.median(v) for name, v in phases.items()},
        "median_model_seconds": {
            name: statistics.median(v)
            for name, v in sorted(models.items(), key=lambda item: -statistics.median(item[1]))
        },
    }


async def load_phase(
    generator: LoadGenerator,
    seconds: float,
    probe_interval: float | None,
    poll_seconds: float,
    drain_seconds: float,
) -> tuple[LoadResult, list[Probe], float]:
    """The load for `seconds`; with probes, follow them until seen (or `drain_seconds`)."""
    probes: list[Probe] = []
    if probe_interval is None:
        return await generator.run(seconds, None, probes), probes, 0.0
    watcher = Watcher(generator, poll_seconds)
    load = asyncio.create_task(generator.run(seconds, probe_interval, probes))
    follow = asyncio.create_task(watcher.follow(probes, until=load.done))
    result = await load
    drained_at = time.monotonic()
    with contextlib.suppress(TimeoutError):  # what is still unseen is reported as such
        await asyncio.wait_for(follow, timeout=drain_seconds)
    return result, probes, time.monotonic() - drained_at


def summary_lines(report: dict[str, Any]) -> list[str]:
    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} s"

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value * 1000:.0f} ms"

    lines = []
    for kind in ("events", "deposits"):
        figures = report["freshness"][kind]
        lines.append(
            f"{kind:9} to the admin API: n={figures['count']} p50 {seconds(figures['p50'])} "
            f"p95 {seconds(figures['p95'])} p99 {seconds(figures['p99'])} "
            f"max {seconds(figures['max'])}"
        )
    lines.append(f"probes never seen: {report['freshness']['unseen']}")
    parts = report["freshness"]["median_parts_seconds"]
    lines.append(
        "median probe: from its 202 until the run that published it was requested "
        f"{seconds(parts['until_requested'])}, from that request until seen "
        f"{seconds(parts['requested_to_seen'])}"
    )
    runs = report["refresh_runs"]
    lines.append(
        f"refresh runs: {runs['runs']} {runs['by_trigger']} {runs['by_status']}; requested → "
        f"ended p50 {seconds(runs['duration_seconds']['p50'])} "
        f"max {seconds(runs['duration_seconds']['max'])}"
    )
    phases = ", ".join(f"{k} {v:.1f}" for k, v in runs["median_phase_seconds"].items())
    lines.append(f"median incremental run (s): {phases}")
    for name in ("refresh_off", "refresh_on", "refresh_off_after"):
        phase = report[name]
        lines.append(
            f"{name:11}: {phase['events_per_second']:.0f} events/s accepted, "
            f"batch p50 {ms(phase['batch']['latency_seconds']['p50'])} "
            f"p99 {ms(phase['batch']['latency_seconds']['p99'])}, "
            f"deposit p99 {ms(phase['deposit']['latency_seconds']['p99'])}, "
            f"API CPU {phase['api_cpu_share']:.0%}, generator CPU "
            f"{phase['generator_cpu_share']:.0%} (behind by at most "
            f"{phase['generator_behind_seconds']:.2f} s)"
        )
    ratio = report["batch_p99_on_over_off"]
    lines.append(
        "batch p99, refresh on over both refresh-off phases: "
        + ("-" if ratio is None else f"{ratio:.2f}x")
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--rate", type=float, default=1000, help="events/s (default 1000)")
    parser.add_argument("--seconds", type=float, default=600, help="refresh-on load (600)")
    parser.add_argument("--baseline-seconds", type=float, default=120, help="refresh off (120)")
    parser.add_argument("--batch-size", type=int, default=25, help="events per /batch (25)")
    parser.add_argument("--deposit-rate", type=float, default=10, help="deposits/s (10)")
    parser.add_argument("--probes", type=int, default=600, help="event probes (600)")
    parser.add_argument("--poll-seconds", type=float, default=0.25)
    parser.add_argument("--drain-seconds", type=float, default=600)
    parser.add_argument("--min-interval", type=int, default=30, help="rate cap, s (30)")
    parser.add_argument("--tick", type=int, default=5, help="sensor interval, s (5)")
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("give --database-url (or DATABASE_URL)")

    home = Path(tempfile.mkdtemp(prefix="pulse-freshness-"))
    env = bench_environment(args, home)
    os.environ.update(
        {key: env[key] for key in ("DATABASE_URL", "DAGSTER_HOME", "JWT_SECRET", "PULSE_ENV")}
    )
    engine = create_engine(args.database_url)
    print(f"==> throwaway PULSE_HOME {home}", flush=True)
    subprocess.run([str(BIN / "alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True)
    # dbt parses the project again, whole, whenever its connection profile differs from
    # the one the manifest was parsed with: parse it for this database first, as a deploy
    # against it would have.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from orchestration.project import prepare_manifest; prepare_manifest()",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print("==> publishing once (scripts/segment_users.py)", flush=True)
    began = time.monotonic()
    subprocess.run(
        [sys.executable, "scripts/segment_users.py"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    first_publish = time.monotonic() - began
    players, deposit_totals = players_and_deposits(engine)
    print(f"    {first_publish:.1f} s; {len(players):,} players", flush=True)

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    api = start(
        [str(BIN / "uvicorn"), "ingest.main:app", "--host", "127.0.0.1", "--port", str(port)],
        env,
        home / "api.log",
    )
    daemon: subprocess.Popen[bytes] | None = None
    try:
        wait_for_api(base_url, api)
        from ingest.tokens import make_token

        async def phases() -> dict[str, Any]:
            nonlocal daemon
            limits = httpx.Limits(max_connections=300, max_keepalive_connections=300)
            async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
                generator = LoadGenerator(
                    client,
                    players,
                    deposit_totals,
                    admin_token=make_token(1, admin=True, ttl_seconds=86_400),
                    rate=args.rate,
                    batch_size=args.batch_size,
                    deposit_rate=args.deposit_rate,
                )
                print(f"==> refresh off: {args.baseline_seconds:.0f} s of load", flush=True)
                cpu = process_cpu_seconds(api.pid)
                off, _, _ = await load_phase(generator, args.baseline_seconds, None, 0, 0)
                off_cpu = process_cpu_seconds(api.pid) - cpu

                print("==> starting the Dagster daemon; publishing the backlog", flush=True)
                daemon = start(
                    [sys.executable, "scripts/run_dagster.py", "daemon"], env, home / "daemon.log"
                )
                backlog = await asyncio.to_thread(wait_until_published, engine, 900)
                print(f"    {backlog:.1f} s", flush=True)

                print(f"==> refresh on: {args.seconds:.0f} s of load with probes", flush=True)
                since = time.time()
                cpu = process_cpu_seconds(api.pid)
                on, probes, drain = await load_phase(
                    generator,
                    args.seconds,
                    args.seconds / args.probes,
                    args.poll_seconds,
                    args.drain_seconds,
                )
                on_cpu = process_cpu_seconds(api.pid) - cpu

                # The same load with the refresh off again: the write path's baseline
                # before and after the refresh-on phase, so a quiet or a busy moment of
                # the machine in one of them does not make the ratio alone.
                print("==> stopping the daemon once no refresh runs", flush=True)
                await asyncio.to_thread(wait_for_runs_to_end, args.drain_seconds)
                stop(daemon)
                daemon = None
                print(f"==> refresh off again: {args.baseline_seconds:.0f} s of load", flush=True)
                cpu = process_cpu_seconds(api.pid)
                off_after, _, _ = await load_phase(generator, args.baseline_seconds, None, 0, 0)
                off_after_cpu = process_cpu_seconds(api.pid) - cpu
                on_p99 = percentile(on.batches.latencies, 0.99)
                off_p99 = percentile(off.batches.latencies + off_after.batches.latencies, 0.99)
                return {
                    "off": phase_figures(off, off_cpu),
                    "on": phase_figures(on, on_cpu),
                    "off_after": phase_figures(off_after, off_after_cpu),
                    "batch_p99_on_over_off": on_p99 / off_p99 if on_p99 and off_p99 else None,
                    "probes": probes,
                    "since": since,
                    "drain_seconds": drain,
                    "backlog_seconds": backlog,
                }

        outcome = asyncio.run(phases())
    finally:
        if daemon is not None:
            stop(daemon)
        stop(api)

    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        runs = refresh_runs(instance, outcome["since"], time.time())
    probes: list[Probe] = outcome["probes"]
    with engine.connect() as connection:
        events = connection.execute(text("select count(*) from app.activity_events")).scalar()
    report = {
        "at": datetime.now(UTC).isoformat(),
        "settings": {key: value for key, value in vars(args).items() if key != "database_url"},
        "database": {
            "players": len(players),
            "events": events,
        },
        "first_publish_seconds": first_publish,
        "backlog_publish_seconds": outcome["backlog_seconds"],
        "drain_seconds": outcome["drain_seconds"],
        "freshness": probe_figures(probes, runs),
        "refresh_runs": run_figures(runs),
        "refresh_off": outcome["off"],
        "refresh_on": outcome["on"],
        "refresh_off_after": outcome["off_after"],
        "batch_p99_on_over_off": outcome["batch_p99_on_over_off"],
        "runs": [run.as_json() for run in runs],
        "probes": [
            {"kind": p.kind, "user_id": p.user_id, "accepted": p.accepted, "seen": p.seen}
            for p in probes
        ],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"freshness-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    print("\n".join(summary_lines(report)))
    print(f"==> {path} (logs: {home})")


if __name__ == "__main__":
    main()
