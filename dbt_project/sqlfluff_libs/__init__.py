"""Names sqlfluff's jinja templater puts straight into the model context."""

# var(): the project's numeric vars, so arithmetic in templates renders as it does in dbt
PROJECT_VARS = {
    "pulse__vip_min_deposit_30d": 1000000,
    "pulse__vip_window_days": 30,
    "pulse__dormant_long_days": 30,
    "pulse__dormant_short_days": 7,
    "pulse__new_user_days": 7,
    "pulse__late_arrival_minutes": 10,
}


def var(name, default=None):
    return PROJECT_VARS.get(name, default)
