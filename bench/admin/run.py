"""Admin API benchmark: per-user segment lookups and a full CSV export at scale.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.admin.run --users 1000000

Builds its own database (`pulse_bench_admin`, dropped at the end unless --keep),
loads demo players with `scripts/generate_demo_data.py`, publishes segments with
the real dbt build, starts uvicorn on 127.0.0.1 and measures over HTTP:
- `GET /admin/api/users/{id}/segment` for random ids (sequential requests):
  p50/p99, next to `GET /healthz` measured the same way in the same run as the
  baseline (the cost of HTTP + uvicorn alone);
- `GET /admin/api/segments/{largest}/export`, streamed to /dev/null: wall time,
  rows, and the server's resident memory before and at its peak during the export.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ingest.tokens import make_token  # noqa: E402
from tests.support.databases import create_database, drop_database  # noqa: E402

DATABASE = "pulse_bench_admin"


def step(title: str, command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    print(f"==> {title}", flush=True)
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    print(f"    {elapsed:.1f} s", flush=True)
    return elapsed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def timed_gets(client: httpx.Client, paths: list[str], headers: dict[str, str]) -> list[float]:
    durations = []
    for path in paths:
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        durations.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return durations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--events-per-user", type=int, default=3)
    parser.add_argument("--lookups", type=int, default=3000)
    parser.add_argument(
        "--keep", action="store_true", help="keep the database (reuse with --reuse)"
    )
    parser.add_argument("--reuse", action="store_true", help="skip loading and dbt: reuse --keep's")
    args = parser.parse_args()

    server = os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    url = make_url(server).set(database=DATABASE).render_as_string(hide_password=False)
    env = {**os.environ, "DATABASE_URL": url, "PULSE_ENV": "development"}
    timings: dict[str, float] = {}
    if not args.reuse:
        drop_database(server, DATABASE)
        create_database(server, DATABASE)
        step("migrate", [sys.executable, "-m", "alembic", "upgrade", "head"], env)
        timings["load_s"] = step(
            f"load {args.users} players",
            [
                sys.executable,
                "scripts/generate_demo_data.py",
                "--users",
                str(args.users),
                "--events-per-user",
                str(args.events_per_user),
            ],
            env,
        )
        timings["dbt_build_s"] = step(
            "publish segments (dbt build)",
            [sys.executable, "scripts/run_dbt.py", "build", "--exclude-resource-type", "unit_test"],
            env,
        )
    engine = create_engine(url)
    with engine.connect() as connection:
        user_ids = connection.execute(text("select user_id from analytics.user_segment")).scalars()
        population = list(user_ids)
        largest, largest_rows = connection.execute(
            text(
                "select segment, count(*) from analytics.user_segment "
                "group by segment order by 2 desc limit 1"
            )
        ).one()
    engine.dispose()

    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "ingest.main:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    headers = {"Authorization": f"Bearer {make_token(1, admin=True)}"}
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(200):
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            randomizer = random.Random(7)
            sample = [randomizer.choice(population) for _ in range(args.lookups)]
            timed_gets(client, [f"/admin/api/users/{uid}/segment" for uid in sample[:200]], headers)
            baseline = timed_gets(client, ["/healthz"] * args.lookups, headers)
            lookups = timed_gets(
                client, [f"/admin/api/users/{uid}/segment" for uid in sample], headers
            )

            rss_before = rss_kib(process.pid)
            peak = [rss_before]
            done = threading.Event()

            def sample_rss() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], rss_kib(process.pid))
                    time.sleep(0.05)

            sampler = threading.Thread(target=sample_rss)
            sampler.start()
            started = time.perf_counter()
            rows = 0
            size = 0
            with client.stream(
                "GET", f"/admin/api/segments/{largest}/export", headers=headers
            ) as response:
                assert response.status_code == 200
                for chunk in response.iter_bytes():
                    rows += chunk.count(b"\n")
                    size += len(chunk)
            export_s = time.perf_counter() - started
            done.set()
            sampler.join()
    finally:
        process.terminate()
        process.wait(timeout=10)

    result = {
        "users_published": len(population),
        **timings,
        "lookup_p50_ms": round(statistics.median(lookups), 2),
        "lookup_p99_ms": round(percentile(lookups, 0.99), 2),
        "baseline_healthz_p50_ms": round(statistics.median(baseline), 2),
        "baseline_healthz_p99_ms": round(percentile(baseline, 0.99), 2),
        "lookup_p99_over_baseline_p99": round(
            percentile(lookups, 0.99) / percentile(baseline, 0.99), 1
        ),
        "export_segment": largest,
        "export_rows": rows - 1,
        "export_expected_rows": largest_rows,
        "export_mib": round(size / 2**20, 1),
        "export_s": round(export_s, 2),
        "server_rss_before_export_mib": round(rss_before / 1024, 1),
        "server_rss_peak_during_export_mib": round(peak[0] / 1024, 1),
    }
    print(json.dumps(result, indent=2))
    if not args.keep:
        drop_database(server, DATABASE)


if __name__ == "__main__":
    main()
