"""Steady load through the real API, and probes timed until the admin API shows them.

Events go to `POST /api/activity/batch` (one random player per request, `batch_size`
events each) on an open-loop schedule: request i is due at start + i * batch_size /
rate whatever the server answers, so a slow server shows as latency and as a backlog
(`behind_seconds`), not as a quietly lower rate. Deposits go to
`PUT /admin/api/external-ranking/{user_id}` at `deposit_rate` per second, each a little
above the player's previous total (an increment, so it is a charge).

Probes: every `probe_interval` seconds one more event goes through `/record` with an
explicit `occurred_at`, and every tenth deposit is one too. A probe's latency runs from
its 202 (200 for a deposit) to the first answer of `GET /admin/api/users/{id}/segment`
whose profile includes it (`last_play_at`, `last_charge_at` at or after the probe's
time). A run publishes everything received before its `as_of`, so probes become visible
in the order they were accepted: only the oldest unseen probe is polled (every
`poll_seconds`), and when it shows, the ones after it are read at once until one does not.
That keeps the poller's own load on the API to a few requests a second.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import httpx

from bench.ingest.loadgen import random_uuids
from ingest.tokens import make_token

PLAY_TYPES = ("roulette_play", "dice_play", "lottery_play")
# In-flight requests at most; past it the generator falls behind and says so.
MAX_IN_FLIGHT = 256
# A probe not seen after this long is reported as missing instead of waited for.
PROBE_GIVE_UP_SECONDS = 1800


@dataclass
class Requests:
    """Latencies (s) and statuses of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    events: int = 0

    def add(self, latency: float, status: int, events: int) -> None:
        self.latencies.append(latency)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status < 300:
            self.events += events


@dataclass
class Probe:
    kind: str  # "event" or "deposit"
    user_id: int
    at: datetime  # the event's occurred_at or the deposit's updated_at
    accepted: float  # time.time() at the 2xx
    seen: float | None = None

    @property
    def latency(self) -> float | None:
        return None if self.seen is None else self.seen - self.accepted


@dataclass
class LoadResult:
    seconds: float
    batches: Requests
    records: Requests
    deposits: Requests
    behind_seconds: float  # how late the last request left compared with its schedule
    cpu_seconds: float  # this process's CPU time over the phase
    probes: list[Probe]


class Tokens:
    """Player tokens, signed once per player."""

    def __init__(self) -> None:
        self._tokens: dict[int, str] = {}

    def header(self, user_id: int) -> dict[str, str]:
        token = self._tokens.get(user_id)
        if token is None:
            token = self._tokens[user_id] = make_token(user_id, ttl_seconds=86_400)
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def batch_body(size: int) -> bytes:
    events = ",".join(
        f'{{"event_id":"{event_id}","event_type":"{random.choice(PLAY_TYPES)}"}}'
        for event_id in random_uuids(size)
    )
    return ('{"events":[' + events + "]}").encode()


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


class LoadGenerator:
    def __init__(
        self,
        client: httpx.AsyncClient,
        players: list[int],
        deposit_totals: dict[int, Decimal],
        *,
        admin_token: str,
        rate: float,
        batch_size: int,
        deposit_rate: float,
    ) -> None:
        self.client = client
        self.players = players
        self.deposit_totals = deposit_totals
        self.deposit_players = list(deposit_totals)
        self.admin = {"Authorization": f"Bearer {admin_token}"}
        self.rate = rate
        self.batch_size = batch_size
        self.deposit_rate = deposit_rate
        self.tokens = Tokens()
        self.in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def run(
        self, seconds: float, probe_interval: float | None, probes: list[Probe]
    ) -> LoadResult:
        """Load for `seconds`; probes (when `probe_interval` is set) are appended to `probes`
        as they are accepted, so a `Watcher` can follow them meanwhile."""
        batches, records, deposits = Requests(), Requests(), Requests()
        cpu_before = time.process_time()
        started = time.monotonic()
        behind = [0.0]
        tasks: set[asyncio.Task[None]] = set()

        async def paced(interval: float, send: Callable[[int], Awaitable[None]]) -> None:
            index = 0
            while True:
                due = started + index * interval
                if due >= started + seconds:
                    return
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await self.in_flight.acquire()
                behind[0] = max(behind[0], time.monotonic() - due)
                task: asyncio.Task[None] = asyncio.ensure_future(send(index))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                index += 1

        async def send_batch(index: int) -> None:
            try:
                user_id = random.choice(self.players)
                body = batch_body(self.batch_size)
                sent = time.monotonic()
                response = await self.client.post(
                    "/api/activity/batch", content=body, headers=self.tokens.header(user_id)
                )
                batches.add(time.monotonic() - sent, response.status_code, self.batch_size)
            finally:
                self.in_flight.release()

        async def send_probe(index: int) -> None:
            try:
                user_id = random.choice(self.players)
                at = datetime.now(UTC)
                body = {
                    "event_id": random_uuids(1)[0],
                    "event_type": "dice_play",
                    "occurred_at": at.isoformat(),
                }
                sent = time.monotonic()
                response = await self.client.post(
                    "/api/activity/record", json=body, headers=self.tokens.header(user_id)
                )
                records.add(time.monotonic() - sent, response.status_code, 1)
                if response.status_code == 202:
                    probes.append(Probe("event", user_id, at, time.time()))
            finally:
                self.in_flight.release()

        async def send_deposit(index: int) -> None:
            try:
                user_id = random.choice(self.deposit_players)
                total = self.deposit_totals[user_id] + Decimal(random.randint(10, 500))
                self.deposit_totals[user_id] = total
                at = datetime.now(UTC)
                body = {"deposit_amount": str(total), "updated_at": at.isoformat()}
                sent = time.monotonic()
                response = await self.client.put(
                    f"/admin/api/external-ranking/{user_id}", json=body, headers=self.admin
                )
                deposits.add(time.monotonic() - sent, response.status_code, 1)
                is_charge = response.status_code < 300 and response.json()["status"] != "stale"
                if probe_interval is not None and index % 10 == 0 and is_charge:
                    probes.append(Probe("deposit", user_id, at, time.time()))
            finally:
                self.in_flight.release()

        streams = [
            paced(self.batch_size / self.rate, send_batch),
            paced(1 / self.deposit_rate, send_deposit),
        ]
        if probe_interval is not None:
            streams.append(paced(probe_interval, send_probe))
        await asyncio.gather(*streams)
        if tasks:
            await asyncio.gather(*tasks)
        return LoadResult(
            seconds=time.monotonic() - started,
            batches=batches,
            records=records,
            deposits=deposits,
            behind_seconds=behind[0],
            cpu_seconds=time.process_time() - cpu_before,
            probes=probes,
        )

    async def shows(self, probe: Probe) -> bool:
        """Whether the admin API's profile of the probe's player includes the probe."""
        response = await self.client.get(
            f"/admin/api/users/{probe.user_id}/segment", headers=self.admin
        )
        if response.status_code != 200:
            return False
        features = response.json().get("features") or {}
        column = "last_play_at" if probe.kind == "event" else "last_charge_at"
        value = _instant(features.get(column))
        return value is not None and value >= probe.at


class Watcher:
    """Times probes until the admin API shows them (see the module's docstring)."""

    def __init__(self, generator: LoadGenerator, poll_seconds: float) -> None:
        self.generator = generator
        self.poll_seconds = poll_seconds
        self.pending: deque[Probe] = deque()
        self.missing: list[Probe] = []

    async def follow(self, probes: list[Probe], until: Callable[[], bool]) -> None:
        """Poll while `until()` is false; `probes` is the list the generator appends to."""
        taken = 0
        while True:
            self.pending.extend(probes[taken:])
            taken = len(probes)
            if not self.pending and until():
                return
            if self.pending:
                head = self.pending[0]
                if time.time() - head.accepted > PROBE_GIVE_UP_SECONDS:
                    self.missing.append(self.pending.popleft())
                    continue
                if await self.generator.shows(head):
                    head.seen = time.time()
                    self.pending.popleft()
                    while self.pending and await self.generator.shows(self.pending[0]):
                        probe = self.pending.popleft()
                        probe.seen = time.time()
                    continue
            await asyncio.sleep(self.poll_seconds)
