"""The range of timestamps the API accepts, shared by every input schema.

Clients send RFC 3339 timestamps with an offset. Values are normalised to UTC and
must lie between 1970 and a few minutes past the server clock: a later value is a
client clock bug, and extreme years would overflow in conversion.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
# Client clocks drift; beyond this the value is treated as wrong, not as early data.
MAX_CLOCK_SKEW = timedelta(minutes=5)


def utc_now() -> datetime:
    return datetime.now(UTC)


def checked_instant(value: datetime, now: datetime | None = None) -> datetime:
    """`value` in UTC, or ValueError saying why it is out of range (pydantic makes that a 422).

    `now` is the server time to check against (a batch reads the clock once); default: now.
    """
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("timestamp is out of range") from error
    if in_utc < EARLIEST:
        raise ValueError("timestamp must not be before 1970-01-01T00:00:00Z")
    server_time = utc_now() if now is None else now
    if in_utc > server_time + MAX_CLOCK_SKEW:
        raise ValueError(
            f"timestamp is more than {int(MAX_CLOCK_SKEW.total_seconds() // 60)} minutes ahead "
            f"of the server clock ({server_time.isoformat()}); check the client clock"
        )
    return in_utc
