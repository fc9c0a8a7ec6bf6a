"""Group commit for `/record`: many requests' events in one INSERT and one COMMIT.

A request hands its event to `GroupCommitWriter.write` and waits. A few flusher
tasks take everything queued at that moment (up to `max_group`), store it with
`write_events` in one transaction, and only after COMMIT returns resolve each
request's future. So a 202 still means "committed", while the database sees one
round trip per group instead of one per request: under load the groups grow by
themselves, and a lone request is flushed at once (no timer, no added latency).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from psycopg import errors as pg_errors
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from ingest.events.store import EventRow, Outcome, write_events

logger = logging.getLogger(__name__)

# Flushers run concurrently so one group is written while the next one gathers.
DEFAULT_FLUSHERS = 2
DEFAULT_MAX_GROUP = 1000
# A deadlock or serialization failure is retried; the whole group is rolled back first.
RETRYABLE = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)
MAX_ATTEMPTS = 3


class WriterStopped(RuntimeError):
    """The writer is not running (startup not finished, or shutting down)."""


@dataclass(slots=True)
class _Pending:
    row: EventRow
    done: asyncio.Future[Outcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommitWriter:
    def __init__(
        self,
        engine: Callable[[], AsyncEngine],
        flushers: int = DEFAULT_FLUSHERS,
        max_group: int = DEFAULT_MAX_GROUP,
    ) -> None:
        self._engine = engine
        self._flushers = flushers
        self._max_group = max_group
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._accepting = False

    async def start(self) -> None:
        self._accepting = True
        self._tasks = [
            asyncio.create_task(self._flush_forever(), name=f"event-flusher-{number}")
            for number in range(self._flushers)
        ]

    async def stop(self) -> None:
        """Stop taking events, write what is queued, then end the flushers."""
        self._accepting = False
        await self._queue.join()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def write(self, row: EventRow) -> Outcome:
        """Store `row` with others; returns once the outcome is committed."""
        if not self._accepting:
            raise WriterStopped("the event writer is not running")
        pending = _Pending(row)
        self._queue.put_nowait(pending)
        return await pending.done

    async def _flush_forever(self) -> None:
        while True:
            group = [await self._queue.get()]
            while len(group) < self._max_group and not self._queue.empty():
                group.append(self._queue.get_nowait())
            try:
                await self._flush(group)
            finally:
                for _ in group:
                    self._queue.task_done()

    async def _flush(self, group: list[_Pending]) -> None:
        rows = [pending.row for pending in group]
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                outcomes = await write_events(self._engine(), rows, all_or_nothing=False)
            except DBAPIError as error:
                if isinstance(error.orig, RETRYABLE) and attempt < MAX_ATTEMPTS:
                    continue
                logger.exception("event group of %d failed", len(group))
                _fail(group, error)
                return
            except Exception as error:  # any failure must release the waiting requests
                logger.exception("event group of %d failed", len(group))
                _fail(group, error)
                return
            for pending, outcome in zip(group, outcomes, strict=True):
                if not pending.done.done():
                    pending.done.set_result(outcome)
            return


def _fail(group: list[_Pending], error: BaseException) -> None:
    for pending in group:
        if not pending.done.done():
            pending.done.set_exception(error)
