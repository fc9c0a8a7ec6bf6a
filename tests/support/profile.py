"""The player's profile columns as dbt declares them (macro `pulse_segment_profile_columns`
in dbt_project/macros/pulse_segments.sql), the one list the service and the tests check
themselves against."""

from __future__ import annotations

import re

from pulse.dbt_env import DBT_PROJECT_DIR

MACRO_FILE = DBT_PROJECT_DIR / "macros" / "pulse_segments.sql"


def dbt_profile_columns() -> list[str]:
    """The macro's column names, in order (user_id first)."""
    text = MACRO_FILE.read_text()
    match = re.search(
        r"\{% macro pulse_segment_profile_columns\(\) -%\}(?P<body>.*?)\{%- endmacro %\}",
        text,
        re.DOTALL,
    )
    assert match is not None, f"pulse_segment_profile_columns is not in {MACRO_FILE}"
    columns = re.findall(r"\(\s*'(\w+)'\s*,", match["body"])
    assert columns, "pulse_segment_profile_columns declares no column"
    return columns
