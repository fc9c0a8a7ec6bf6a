"""Fixtures of the admin tests: the seeded cohort published by a real dbt build."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import Engine

from tests.admin.published import (
    drop_published,
    publish,
    recent_moment,
    reset_app_tables,
    seed_cohort,
)


@pytest.fixture(scope="module")
def published_cohort(engine: Engine) -> Iterator[datetime]:
    """The cohort seeded and published once for the module; yields the run's as_of."""
    drop_published(engine)
    reset_app_tables(engine)
    as_of = recent_moment()
    seed_cohort(engine, as_of)
    publish(as_of)
    yield as_of
    drop_published(engine)
    reset_app_tables(engine)
