"""Ingest under faults: many simulated players record events while the server and the
database are made to fail, then every acknowledged event must be stored exactly once.

    .venv/bin/python -m bench.faults.soak [--events 50000] [--players 200]
        [--server-kills 2] [--postgres-restarts 1]

Everything runs on loopback and belongs to the run: a PostgreSQL in a temporary folder
(never the shared server), Pulse under uvicorn, and the players, who behave as
docs/client.md says (an event_id made once per event; retries with exponential backoff
on 5xx, 429, timeouts and connection errors; giving up after six attempts). While they
send, the uvicorn process is killed with SIGKILL and started again `--server-kills`
times, and PostgreSQL is restarted in immediate mode (crash recovery on start)
`--postgres-restarts` times, spread evenly over the run.

Afterwards the run checks, against the database: every acknowledged event is stored
once, every event given up on is stored once or not at all, nothing was stored that no
player sent, and after `dbt build` the play counts and durations in
`analytics.user_activity` equal the stored events. The figures are printed as JSON and
written to test-artifacts/reliability/soak.json; the exit status is 1 if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from ingest.tokens import make_token
from pulse.settings import PROJECT_ROOT
from tests.support.live_server import LiveServer, free_port, start_uvicorn, uvicorn_command
from tests.support.throwaway_postgres import ThrowawayPostgres, throwaway_postgres

REPORT = PROJECT_ROOT / "test-artifacts" / "reliability" / "soak.json"
RECORD = "/api/activity/record"
EVENT_TYPES = ["roulette_play", "dice_play", "lottery_play", "bonus_used", "play_duration", "login"]
FIRST_PLAYER_ID = 5_000_000


@dataclass(frozen=True)
class SoakConfig:
    events: int = 50_000
    players: int = 200
    server_kills: int = 2
    postgres_restarts: int = 1
    attempts: int = 6  # docs/client.md
    request_timeout_seconds: float = 10.0
    run_dbt: bool = True


@dataclass
class SoakResult:
    events_sent: int = 0
    acknowledged: int = 0
    given_up: int = 0
    refused_4xx: int = 0
    attempts_made: int = 0
    retries: int = 0
    answers: dict[str, int] = field(default_factory=dict)
    server_kills: int = 0
    postgres_restarts: int = 0
    stored: int = 0
    acknowledged_stored: int = 0
    lost: int = 0
    duplicates: int = 0
    stored_but_never_sent: int = 0
    given_up_stored: int = 0
    given_up_not_stored: int = 0
    user_activity_users: int = 0
    user_activity_mismatches: int = -1
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.duplicates == 0
            and self.stored_but_never_sent == 0
            and self.refused_4xx == 0
            and self.acknowledged_stored == self.acknowledged
            and self.user_activity_mismatches in (0, -1)
        )


@dataclass
class _Ledger:
    """What the players know: each event's body and how it ended."""

    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    event_users: dict[str, int] = field(default_factory=dict)
    acknowledged: set[str] = field(default_factory=set)
    given_up: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    answers: dict[str, int] = field(default_factory=dict)
    attempts: int = 0

    @property
    def settled(self) -> int:
        return len(self.acknowledged) + len(self.given_up) + len(self.refused)


class _Pulse:
    """The uvicorn process under test; it can be killed and started again on its port."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.server: LiveServer = self._start()

    def _start(self) -> LiveServer:
        return start_uvicorn(uvicorn_command(self.port), self.log_path, self.env, self.port)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def kill_and_restart(self) -> None:
        self.server.process.kill()  # SIGKILL: no shutdown handler runs
        self.server.process.wait()
        self.server = self._start()

    def stop(self) -> None:
        self.server.process.terminate()
        self.server.process.wait(timeout=30)


def _event_body(sequence: int, rng: random.Random) -> dict[str, Any]:
    event_type = rng.choice(EVENT_TYPES)
    body: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),  # made once; every retry sends the same id
        "event_type": event_type,
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=rng.randint(1, 3000))).isoformat(),
        "metadata": {"sequence": sequence},
    }
    if event_type == "play_duration":
        body["play_duration_seconds"] = rng.randint(1, 3600)
    return body


async def _send(
    client: httpx.AsyncClient,
    token: str,
    body: dict[str, Any],
    ledger: _Ledger,
    config: SoakConfig,
    rng: random.Random,
) -> None:
    """The documented client: same body on every attempt, backoff with jitter between."""
    event_id = body["event_id"]
    headers = {"Authorization": f"Bearer {token}"}
    for attempt in range(config.attempts):
        ledger.attempts += 1
        try:
            response: httpx.Response | None = await client.post(RECORD, json=body, headers=headers)
        except httpx.TransportError:
            response = None
        answer = "transport error" if response is None else str(response.status_code)
        ledger.answers[answer] = ledger.answers.get(answer, 0) + 1
        if response is not None and response.status_code < 500 and response.status_code != 429:
            if response.status_code == 202:
                ledger.acknowledged.add(event_id)
            else:
                ledger.refused.add(event_id)
            return
        if attempt + 1 < config.attempts:
            await asyncio.sleep(min(30.0, 0.25 * 2**attempt) * rng.uniform(0.5, 1.0))
    ledger.given_up.add(event_id)


async def _player(
    player_id: int,
    count: int,
    base_url: str,
    secret: str,
    ledger: _Ledger,
    config: SoakConfig,
) -> None:
    rng = random.Random(player_id)
    token = make_token(player_id, ttl_seconds=24 * 3600, secret=secret)
    timeout = httpx.Timeout(config.request_timeout_seconds)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout) as client:
        for sequence in range(count):
            body = _event_body(sequence, rng)
            ledger.bodies[body["event_id"]] = body
            ledger.event_users[body["event_id"]] = player_id
            await _send(client, token, body, ledger, config, rng)


def _fault_plan(config: SoakConfig) -> list[tuple[float, str]]:
    """Faults spread evenly over the run, kills and restarts interleaved."""
    kinds = ["kill"] * config.server_kills
    for index in range(config.postgres_restarts):
        kinds.insert(min(len(kinds), 1 + 2 * index), "postgres")
    return [(position / (len(kinds) + 1), kind) for position, kind in enumerate(kinds, start=1)]


async def _inject_faults(
    config: SoakConfig,
    ledger: _Ledger,
    pulse: _Pulse,
    postgres: ThrowawayPostgres,
    result: SoakResult,
    done: asyncio.Event,
) -> None:
    for fraction, kind in _fault_plan(config):
        while ledger.settled < fraction * config.events:
            if done.is_set():
                return
            await asyncio.sleep(0.05)
        if kind == "kill":
            await asyncio.to_thread(pulse.kill_and_restart)
            result.server_kills += 1
        else:
            await asyncio.to_thread(postgres.restart, "immediate")
            result.postgres_restarts += 1


async def _load(
    config: SoakConfig, pulse: _Pulse, postgres: ThrowawayPostgres, secret: str
) -> tuple[_Ledger, SoakResult]:
    ledger = _Ledger()
    result = SoakResult()
    done = asyncio.Event()
    share, extra = divmod(config.events, config.players)
    players = [
        _player(
            FIRST_PLAYER_ID + index,
            share + (1 if index < extra else 0),
            pulse.base_url,
            secret,
            ledger,
            config,
        )
        for index in range(config.players)
    ]
    faults = asyncio.create_task(_inject_faults(config, ledger, pulse, postgres, result, done))
    await asyncio.gather(*players)
    done.set()
    await faults
    return ledger, result


def _check_storage(database_url: str, ledger: _Ledger, result: SoakResult) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("select event_id::text, user_id from app.activity_events")
            ).all()
            result.duplicates = int(
                connection.scalar(
                    text(
                        "select count(*) - count(distinct (user_id, metadata->>'sequence')) "
                        "from app.activity_events"
                    )
                )
            )
    finally:
        engine.dispose()
    stored = {event_id: user_id for event_id, user_id in rows}
    result.duplicates += len(rows) - len(stored)
    result.stored = len(rows)
    owners = ledger.event_users
    result.acknowledged_stored = sum(
        1 for event_id in ledger.acknowledged if stored.get(event_id) == owners[event_id]
    )
    result.lost = len(ledger.acknowledged) - result.acknowledged_stored
    result.stored_but_never_sent = sum(1 for event_id in stored if event_id not in ledger.bodies)
    result.given_up_stored = sum(1 for event_id in ledger.given_up if event_id in stored)
    result.given_up_not_stored = len(ledger.given_up) - result.given_up_stored


def _build_and_compare(database_url: str, env: dict[str, str], workdir: Path) -> tuple[int, int]:
    """dbt build, then user_activity's counts against the stored events, per user."""
    subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "scripts" / "run_dbt.py"),
            "build",
            "--target-path",
            str(workdir / "dbt-target"),
            "--log-path",
            str(workdir / "dbt-logs"),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            users = int(connection.scalar(text("select count(*) from analytics.user_activity")))
            mismatches = int(
                connection.scalar(
                    text(
                        """
                        with stored as (
                            select
                                user_id,
                                count(*) filter (where event_type = 'roulette_play') as roulette,
                                count(*) filter (where event_type = 'dice_play') as dice,
                                count(*) filter (where event_type = 'lottery_play') as lottery,
                                coalesce(sum(play_duration_seconds), 0) as duration
                            from app.activity_events
                            group by user_id
                        )
                        select count(*)
                        from stored
                        full join analytics.user_activity as activity
                            on activity.user_id = stored.user_id
                        where activity.user_id is null
                            or stored.user_id is null
                            or activity.roulette_plays <> stored.roulette
                            or activity.dice_plays <> stored.dice
                            or activity.lottery_plays <> stored.lottery
                            or activity.total_play_duration <> stored.duration
                        """
                    )
                )
            )
    finally:
        engine.dispose()
    return users, mismatches


def run_soak(config: SoakConfig, workdir: Path) -> SoakResult:
    started = time.monotonic()
    secret = "soak-" + uuid.uuid4().hex + uuid.uuid4().hex
    with throwaway_postgres() as postgres:
        database_url = postgres.create_migrated_database("pulse_soak")
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "JWT_SECRET": secret,
            "PULSE_ENV": "test",
        }
        pulse = _Pulse(env, workdir / "uvicorn.log")
        try:
            ledger, result = asyncio.run(_load(config, pulse, postgres, secret))
        finally:
            pulse.stop()
        result.events_sent = len(ledger.bodies)
        result.acknowledged = len(ledger.acknowledged)
        result.given_up = len(ledger.given_up)
        result.refused_4xx = len(ledger.refused)
        result.attempts_made = ledger.attempts
        result.retries = ledger.attempts - len(ledger.bodies)
        result.answers = dict(sorted(ledger.answers.items()))
        _check_storage(database_url, ledger, result)
        if config.run_dbt:
            result.user_activity_users, result.user_activity_mismatches = _build_and_compare(
                database_url, env, workdir
            )
    result.seconds = round(time.monotonic() - started, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = SoakConfig()
    parser.add_argument("--events", type=int, default=defaults.events)
    parser.add_argument("--players", type=int, default=defaults.players)
    parser.add_argument("--server-kills", type=int, default=defaults.server_kills)
    parser.add_argument("--postgres-restarts", type=int, default=defaults.postgres_restarts)
    args = parser.parse_args()
    config = SoakConfig(
        events=args.events,
        players=args.players,
        server_kills=args.server_kills,
        postgres_restarts=args.postgres_restarts,
    )
    with tempfile.TemporaryDirectory(prefix="pulse-soak-") as workdir:
        result = run_soak(config, Path(workdir))
    report = {"config": asdict(config), "result": asdict(result), "ok": result.ok}
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
