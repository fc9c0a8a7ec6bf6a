"""Fixtures for the fault tests: a PostgreSQL server the tests own and may stop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.throwaway_postgres import ThrowawayPostgres, throwaway_postgres


@pytest.fixture(scope="module")
def owned_postgres() -> Iterator[ThrowawayPostgres]:
    """A server of this test module alone (never the shared one other tests run on)."""
    with throwaway_postgres() as server:
        yield server
