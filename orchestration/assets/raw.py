"""The raw `app` tables as observable source assets.

The ingest service writes these tables; Dagster only observes them. Each observation
records the row count and the newest arrival time, and its data version changes
when either does, so the UI shows when the feed last moved. The asset keys equal
the keys dagster-dbt gives the dbt sources (`app/<table>`), which connects the
lineage from ingest to `user_segment`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dagster import (
    AssetKey,
    AssetsDefinition,
    DataVersion,
    MetadataValue,
    ObserveResult,
    SourceAsset,
    observable_source_asset,
)
from sqlalchemy import text

from orchestration.resources import PulseDatabase

RAW_GROUP = "ingest"


@dataclass(frozen=True)
class RawTable:
    name: str
    # The column that says when a row arrived (or last changed) in Pulse.
    arrival_column: str
    description: str

    @property
    def asset_key(self) -> AssetKey:
        return AssetKey(["app", self.name])


RAW_TABLES = (
    RawTable("users", "updated_at", "Mirror of the platform's users (ingest API upserts)."),
    RawTable(
        "activity_events",
        "received_at",
        "Append-only activity events from the game client, deduplicated on event_id.",
    ),
    RawTable(
        "external_ranking_data",
        "updated_at",
        "Current deposit total per user from the platform's ranking feed.",
    ),
    RawTable(
        "ranking_snapshots",
        "received_at",
        "Append-only history of every deposit-feed upsert (the deposit feed).",
    ),
    RawTable(
        "segment_overrides",
        "created_at",
        "Admins' manual segments, which win over every rule until they expire.",
    ),
)


def observe_table(database: PulseDatabase, table: RawTable) -> ObserveResult:
    """Row count and newest arrival of one raw table."""
    with database.connect() as connection:
        row = connection.execute(
            text(f"select count(*), max({table.arrival_column}) from app.{table.name}")
        ).one()
    row_count, latest = int(row[0]), row[1]
    latest_text = latest.isoformat() if latest is not None else "none"
    metadata: dict[str, Any] = {
        "dagster/row_count": MetadataValue.int(row_count),
        f"latest_{table.arrival_column}": MetadataValue.text(latest_text),
    }
    if latest is not None:
        metadata["latest_arrival_timestamp"] = MetadataValue.timestamp(latest)
    return ObserveResult(
        data_version=DataVersion(f"{row_count}@{latest_text}"),
        metadata=metadata,
    )


def _raw_table_asset(table: RawTable) -> SourceAsset | AssetsDefinition:
    @observable_source_asset(
        key=table.asset_key,
        group_name=RAW_GROUP,
        description=table.description,
    )
    def _observe(database: PulseDatabase) -> ObserveResult:
        return observe_table(database, table)

    return _observe


raw_table_assets = [_raw_table_asset(table) for table in RAW_TABLES]
