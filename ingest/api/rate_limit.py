"""A per-user rate limit for the player routes: a token bucket per user id, in memory.

Each user's bucket holds up to `burst` requests and refills at `per_second`; a request
that finds it empty gets 429 with `Retry-After` (whole seconds until a request fits
again). One flooding client therefore spends only its own bucket, and everyone else's
requests go through. The buckets live in each server process: with N uvicorn workers
a user may get up to N times the configured rate.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from fastapi import HTTPException, status

from ingest.config import get_settings

# Above this many tracked users, buckets that have refilled completely are forgotten
# (a full bucket is the same as no bucket), so memory stays bounded by active users.
_PRUNE_ABOVE = 100_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated_at: float


class RateLimiter:
    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second = per_second
        self.burst = max(1, burst)
        self._buckets: dict[int, _Bucket] = {}
        # Callers may run on the event loop or in worker threads: the lock keeps each take atomic.
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.per_second > 0

    def retry_after(self, user_id: int, now: float | None = None) -> float | None:
        """Take one request from `user_id`'s bucket: None if allowed, else seconds to wait."""
        if not self.enabled:
            return None
        moment = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get(user_id)
            if bucket is None:
                if len(self._buckets) >= _PRUNE_ABOVE:
                    self._forget_full_buckets(moment)
                bucket = self._buckets[user_id] = _Bucket(float(self.burst), moment)
            else:
                refill = (moment - bucket.updated_at) * self.per_second
                bucket.tokens = min(float(self.burst), bucket.tokens + refill)
                bucket.updated_at = moment
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return (1 - bucket.tokens) / self.per_second

    def check(self, user_id: int) -> None:
        """Raise 429 (with Retry-After) when `user_id` is over its rate."""
        wait = self.retry_after(user_id)
        if wait is None:
            return
        seconds = max(1, math.ceil(wait))
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=(
                f"too many requests for this user: at most {self.per_second:g} per second "
                f"(bursts of {self.burst}); retry after {seconds} s with the same event_id"
            ),
            headers={"Retry-After": str(seconds)},
        )

    def _forget_full_buckets(self, now: float) -> None:
        full = [
            user_id
            for user_id, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated_at) * self.per_second >= self.burst
        ]
        for user_id in full:
            del self._buckets[user_id]


@lru_cache
def get_rate_limiter() -> RateLimiter:
    settings = get_settings()
    return RateLimiter(settings.pulse_rate_limit_per_second, settings.pulse_rate_limit_burst)
