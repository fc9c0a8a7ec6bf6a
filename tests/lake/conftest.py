"""The dbt fixtures (a fresh dbt build against the session database) for the lake tests."""

from tests.support.dbt import (  # noqa: F401
    dbt_environment_applied,
    dbt_target_dir,
    fresh_dbt,
    run_dbt,
)
