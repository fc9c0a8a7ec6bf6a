"""The lake's tables are declared once, in Python (`orchestration/lake/export.py`); the
Spark side's registration (`dbt_project/macros/pulse_register_lake.sql`) must say the
same: names, columns in order, Spark types and partition columns."""

from __future__ import annotations

import re

import pyarrow as pa

from orchestration.lake.export import LAKE_TABLES
from pulse.dbt_env import DBT_PROJECT_DIR

MACRO_FILE = DBT_PROJECT_DIR / "macros" / "pulse_register_lake.sql"


def spark_type(arrow_type: pa.DataType) -> str:
    """The Spark SQL type the lake's Parquet files are read as."""
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    if pa.types.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision}, {arrow_type.scale})"
    simple = {pa.string(): "string", pa.int32(): "int", pa.int64(): "bigint"}
    return simple[arrow_type]


def _literal(entry: str, key: str) -> str:
    """The value of `'key': 'a' ~ 'b'` in one entry of the macro's list, joined."""
    match = re.search(rf"'{key}':(?P<value>(?:\s*(?:~\s*)?'[^']*')+)", entry)
    assert match is not None, f"no '{key}' in {entry!r}"
    return "".join(re.findall(r"'([^']*)'", match["value"]))


def registered_lake_tables() -> dict[str, dict[str, str]]:
    """name -> the macro's `columns`, `partition` and `view` for each lake table."""
    text = MACRO_FILE.read_text()
    body = text[text.index("set lake_tables = [") : text.index("] -%}")]
    entries = body.split("{")[1:]
    return {
        _literal(entry, "name"): {
            key: _literal(entry, key) for key in ("columns", "partition", "view")
        }
        for entry in entries
    }


def test_the_spark_registration_matches_the_lake_export() -> None:
    registered = registered_lake_tables()
    assert list(registered) == [table.name for table in LAKE_TABLES]
    for table in LAKE_TABLES:
        declared = ", ".join(f"{field.name} {spark_type(field.type)}" for field in table.schema)
        assert registered[table.name]["columns"] == declared, table.name
        assert registered[table.name]["partition"] == table.partition, table.name
        # the view over the lake shows the PostgreSQL table's columns, in the same order
        view = registered[table.name]["view"]
        selected = view.split("select ", 1)[1].split(" from", 1)[0]
        assert selected == ", ".join(table.schema.names), table.name
