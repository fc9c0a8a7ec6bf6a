"""The rule thresholds, read from the dbt project's vars (the one place an analyst edits).

The admin API shows them next to each player's features, so the explanation
uses exactly the numbers the pipeline compares with.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ingest.config import PROJECT_ROOT

DBT_PROJECT_FILE = PROJECT_ROOT / "dbt_project" / "dbt_project.yml"
VAR_PREFIX = "pulse__"


@dataclass(frozen=True)
class Thresholds:
    vip_min_deposit_30d: Decimal
    vip_window_days: int
    dormant_long_days: int
    dormant_short_days: int
    new_user_days: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "vip_min_deposit_30d": self.vip_min_deposit_30d,
            "vip_window_days": self.vip_window_days,
            "dormant_long_days": self.dormant_long_days,
            "dormant_short_days": self.dormant_short_days,
            "new_user_days": self.new_user_days,
        }


def _pulse_vars(document: dict[str, Any]) -> dict[str, Any]:
    """`pulse__*` vars, whether declared at the top of `vars:` or under the project's name."""
    declared = document.get("vars") or {}
    found: dict[str, Any] = {}
    for key, value in declared.items():
        if isinstance(value, dict):
            found.update({k: v for k, v in value.items() if str(k).startswith(VAR_PREFIX)})
        elif str(key).startswith(VAR_PREFIX):
            found[key] = value
    return found


def parse_thresholds(project_file: Path) -> Thresholds:
    document = yaml.safe_load(project_file.read_text()) or {}
    values = _pulse_vars(document)
    try:
        return Thresholds(
            vip_min_deposit_30d=Decimal(str(values["pulse__vip_min_deposit_30d"])),
            vip_window_days=int(values["pulse__vip_window_days"]),
            dormant_long_days=int(values["pulse__dormant_long_days"]),
            dormant_short_days=int(values["pulse__dormant_short_days"]),
            new_user_days=int(values["pulse__new_user_days"]),
        )
    except KeyError as missing:
        raise ValueError(f"{project_file} does not declare the var {missing.args[0]}") from None


@lru_cache
def current_thresholds() -> Thresholds:
    """Parsed once per process: the vars change only with a deploy."""
    return parse_thresholds(DBT_PROJECT_FILE)
