"""Load the Spark-built marts back into PostgreSQL, atomically.

The admin API and the console read the published segments in PostgreSQL whichever
engine built them. A load copies each mart's Parquet files into a new table beside its
destination and builds its indexes, then swaps all of them in one transaction.
`user_segment` and `segment_catalogue` land where the PostgreSQL build puts them, as
candidates in `analytics_candidate`: a PostgreSQL dbt step compares them with the
published rows and history, and its on-run-end hook (the publish gate) publishes them.
`user_activity`, the profiles the segments were evaluated from, replaces the
PostgreSQL copy in `analytics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
from sqlalchemy import Engine

COPY_BATCH_ROWS = 50_000


@dataclass(frozen=True)
class LoadedMart:
    name: str
    # The schema the PostgreSQL build puts it in (dbt_project.yml), without a prefix.
    schema: str
    # (columns, unique) of each index, as the PostgreSQL build creates them (dbt configs).
    indexes: tuple[tuple[tuple[str, ...], bool], ...]


LOADED_MARTS = (
    LoadedMart(
        "user_activity",
        "analytics",
        ((("user_id",), True), (("updated_at",), False), (("evaluated_at",), False)),
    ),
    LoadedMart(
        "user_segment",
        "analytics_candidate",
        ((("user_id",), True), (("segment", "user_id"), False)),
    ),
    LoadedMart("segment_catalogue", "analytics_candidate", ((("name",), True),)),
)


def postgres_type(arrow_type: pa.DataType) -> str:
    """The PostgreSQL column type for a Parquet column Spark wrote."""
    if pa.types.is_timestamp(arrow_type):
        return "timestamp with time zone"
    if pa.types.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision}, {arrow_type.scale})"
    if pa.types.is_int64(arrow_type):
        return "bigint"
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "text"
    if pa.types.is_floating(arrow_type):
        return "double precision"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    raise ValueError(f"no PostgreSQL type for the Parquet type {arrow_type}")


def stage_mart(engine: Engine, mart: LoadedMart, folder: Path, schema: str) -> int:
    """Copy the rows of the Parquet files in `folder` into <schema>.<mart>__loading, with
    the mart's indexes; returns the rows."""
    dataset = ds.dataset(folder, format="parquet")
    columns = dataset.schema.names
    loading = _loading_name(mart)
    column_list = ", ".join(f'"{name}"' for name in columns)
    definitions = ", ".join(
        f'"{field.name}" {postgres_type(field.type)}' for field in dataset.schema
    )
    rows = 0
    with engine.begin() as connection:
        connection.exec_driver_sql(f"create schema if not exists {schema}")
        connection.exec_driver_sql(f"drop table if exists {schema}.{loading}")
        connection.exec_driver_sql(f"create table {schema}.{loading} ({definitions})")
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"copy {schema}.{loading} ({column_list}) from stdin") as copy:
            for batch in dataset.to_batches(batch_size=COPY_BATCH_ROWS):
                for row in zip(*(column.to_pylist() for column in batch.columns), strict=True):
                    copy.write_row(row)
                rows += batch.num_rows
        for index_columns, unique in mart.indexes:
            connection.exec_driver_sql(
                f"create {'unique ' if unique else ''}index on {schema}.{loading} "
                f"({', '.join(index_columns)})"
            )
        connection.exec_driver_sql(f"analyze {schema}.{loading}")
    return rows


def publish_staged(engine: Engine, marts: tuple[tuple[LoadedMart, str], ...]) -> None:
    """Replace each (mart, schema)'s table with its staged one in one short transaction.

    What it replaces may be a view: the PostgreSQL build's `user_segment` is one, over
    `user_activity`, so the relations go in reverse order (dependents first) before the
    staged tables take their names.
    """
    with engine.begin() as connection:
        for mart, schema in reversed(marts):
            kind = connection.exec_driver_sql(
                "select relkind from pg_class where oid = to_regclass(%s)",
                (f"{schema}.{mart.name}",),
            ).scalar()
            if kind is not None:
                relation_type = "view" if kind == "v" else "table"
                connection.exec_driver_sql(f"drop {relation_type} {schema}.{mart.name}")
        for mart, schema in marts:
            connection.exec_driver_sql(
                f"alter table {schema}.{_loading_name(mart)} rename to {mart.name}"
            )


def load_mart(engine: Engine, mart: LoadedMart, folder: Path, schema: str) -> int:
    """Replace <schema>.<mart> with the rows of the Parquet files in `folder`; returns rows."""
    rows = stage_mart(engine, mart, folder, schema)
    publish_staged(engine, ((mart, schema),))
    return rows


def load_marts(engine: Engine, spark_dir: Path) -> dict[str, int]:
    """Load every Spark-built mart into its PostgreSQL schema, swapped in together;
    returns the rows per mart."""
    from orchestration.lake.spark_env import mart_folder

    loaded = {}
    for mart in LOADED_MARTS:
        folder = mart_folder(spark_dir, mart.name, mart.schema)
        loaded[mart.name] = stage_mart(engine, mart, folder, mart.schema)
    publish_staged(engine, tuple((mart, mart.schema) for mart in LOADED_MARTS))
    return loaded


def _loading_name(mart: LoadedMart) -> str:
    return f"{mart.name}__loading"
