"""Waiting for a condition in tests: poll it until it holds or a deadline passes.

A fixed sleep is either too short on a loaded machine or longer than needed on an
idle one; polling returns as soon as the condition holds and fails with a message
that names what never happened.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T], timeout: float, what: str, *, interval: float = 0.1
) -> T:
    """Calls `predicate` until it returns something true and returns that; raises
    AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = predicate()
        if outcome:
            return outcome
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(interval)


async def async_wait_until(
    predicate: Callable[[], Awaitable[T] | T],
    timeout: float,  # noqa: ASYNC109 (the same deadline as wait_until's, not a cancellation)
    what: str,
    *,
    interval: float = 0.05,
) -> T:
    """`wait_until` for a test running in an event loop: sleeps without blocking the loop
    (the requests it waits for may run on it). `predicate` may be sync or async."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = predicate()
        if asyncio.iscoroutine(outcome):
            outcome = await outcome
        if outcome:
            return outcome  # type: ignore[return-value]
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        await asyncio.sleep(interval)
