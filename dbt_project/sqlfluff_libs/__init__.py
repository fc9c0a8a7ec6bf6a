"""Names sqlfluff's jinja templater puts straight into the model context.

The vars come from dbt_project.yml itself (the segment declaration included), so the
models render for the linter as they do in dbt, and nothing is restated here.
"""

from pathlib import Path

import yaml

PROJECT_VARS = yaml.safe_load((Path(__file__).parents[1] / "dbt_project.yml").read_text())["vars"]


def var(name, default=None):
    return PROJECT_VARS.get(name, default)


def pulse_segments():
    return PROJECT_VARS["pulse__segments"]


def pulse_segment_profile_columns():
    # the shape only: sqlfluff lints the SQL around the columns, not their list
    return [("user_id", "integer"), ("created_at", "timestamp with time zone")]


def pulse_member_columns():
    # the shape only, as above
    return ["user_id", "segment", "rule"]


class _Target:
    type = "postgres"


target = _Target()
