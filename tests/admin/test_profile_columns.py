"""The profile the admin API shows is the one dbt publishes: dbt's macro is the source."""

from __future__ import annotations

from ingest.segments.reads import PROFILE_COLUMNS
from tests.support.profile import dbt_profile_columns


def test_the_service_reads_the_profile_columns_dbt_declares() -> None:
    assert list(PROFILE_COLUMNS) == [
        column for column in dbt_profile_columns() if column != "user_id"
    ]
