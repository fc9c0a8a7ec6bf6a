"""Benchmark: the dbt models against hand-written SQL, measured in the same run.

    # the data set of docs/benchmarks.md, then the benchmark on it:
    python scripts/generate_demo_data.py --users 1000000 --events-per-user 20 \
        --snapshots-per-user 6.3
    DATABASE_URL=... python bench/dbt/run_benchmark.py

Steps, all against the database of DATABASE_URL (its app tables must hold data):
1. baseline: ONE hand-written `create table ... as select` computing the per-user
   profile and segment at one as_of (run again after step 2; the ratio uses the mean);
2. `dbt build --full-refresh` at the same as_of, with the arguments and as_of
   environment of a scheduled refresh (orchestration/dbt_args.py): wall time, and
   the models' SQL time from run_results.json;
3. 100,000 new events for 50,000 random users (received now);
4. baseline: ONE hand-written upsert recomputing those users' profile and segment
   (run again after step 5; the ratios use the mean);
5. `dbt build` (incremental): wall time and the models' SQL time.
It prints the ratios and writes them, with the EXPLAIN of the incremental
user_activity query, to bench/results/. It drops and rebuilds the dbt schemas
and schema bench_baseline of that database: never point it at production.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from orchestration.dbt_args import dbt_as_of_environment, dbt_build_args
from pulse.database_url import database_url
from pulse.dbt_env import (
    DBT_PROJECT_DIR,
    DBT_SESSION_OPTIONS,
    SEGMENTS_VAR,
    dbt_environment,
    project_vars,
)

ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = ROOT / "bench" / "results"
# every node that writes a table or a view: the profile, the rules' evaluation (a view),
# the rows to publish and the catalogue (the publish gate that writes them into the
# published rows, the history and the change feed is a hook: `publish` in the report)
MODELS_AND_SNAPSHOT = (
    "user_activity",
    "user_segment",
    "user_segment_updates",
    "segment_catalogue",
)
DBT_SCHEMAS = (
    "staging",
    "intermediate",
    "analytics",
    "analytics_candidate",
    "snapshots",
    "bench_baseline",
)

# The profile and segment of users selected by {user_filter}, at :as_of, in one statement.
# Same definitions as the dbt models (see models/marts/*.sql), written the way one
# would by hand for PostgreSQL; the rules and the deposit window come from the
# declaration in dbt_project.yml (profile_select).
PROFILE_SELECT = """
with
deposit_increments as (
    select
        user_id,
        updated_at,
        greatest(
            deposit_amount - coalesce(
                lag(deposit_amount) over (partition by user_id order by updated_at), 0
            ),
            0
        ) as increment
    from app.ranking_snapshots
    where updated_at <= :as_of {snapshot_filter}
),
deposits as (
    select
        user_id,
        max(updated_at) filter (where increment > 0) as last_charge_at,
        sum(increment) filter (
            where updated_at > :as_of - interval '{window_days} days'
        ) as deposit_30d
    from deposit_increments
    group by user_id
),
events as (
    select
        user_id,
        count(*) filter (where event_type = 'roulette_play') as roulette_plays,
        count(*) filter (where event_type = 'dice_play') as dice_plays,
        count(*) filter (where event_type = 'lottery_play') as lottery_plays,
        sum(play_duration_seconds) as total_play_duration,
        max(occurred_at) filter (where event_type = 'bonus_used') as last_bonus_used_at,
        max(occurred_at) filter (where event_type = 'login') as last_login_event_at,
        max(occurred_at) filter (
            where event_type in ('roulette_play', 'dice_play', 'lottery_play', 'play_duration')
        ) as last_play_at,
        max(occurred_at) as last_event_at
    from (
        select user_id, event_type, play_duration_seconds,
               least(occurred_at, received_at) as occurred_at
        from app.activity_events
        where least(occurred_at, received_at) <= :as_of {event_filter}
    ) as visible_events
    group by user_id
),
profiles as (
    select
        users.id as user_id,
        users.created_at,
        coalesce(events.roulette_plays, 0) as roulette_plays,
        coalesce(events.dice_plays, 0) as dice_plays,
        coalesce(events.lottery_plays, 0) as lottery_plays,
        coalesce(events.total_play_duration, 0) as total_play_duration,
        events.last_bonus_used_at,
        greatest(
            case when users.last_login_at <= :as_of then users.last_login_at end,
            events.last_login_event_at
        ) as last_login_at,
        events.last_play_at,
        deposits.last_charge_at,
        coalesce(deposits.deposit_30d, 0) as deposit_30d,
        greatest(
            users.created_at,
            case when users.last_login_at <= :as_of then users.last_login_at end,
            events.last_event_at,
            deposits.last_charge_at
        ) as last_active_at
    from app.users
    left join events on events.user_id = users.id
    left join deposits on deposits.user_id = users.id
    where true {user_filter}
),
evaluated as (
    -- the declared rules (dbt_project.yml), each `when` over the profile and as_of
    select evaluation_rows.*, {segment_case} as rule_segment
    from (
        select profiles.*, cast(:as_of as timestamptz) as as_of from profiles
    ) as evaluation_rows
)
select
    evaluated.user_id,
    {evaluated_columns},
    coalesce(overrides.segment, evaluated.rule_segment) as segment,
    evaluated.as_of
from evaluated
left join app.segment_overrides as overrides
    on overrides.user_id = evaluated.user_id
    and overrides.created_at <= :as_of
    and (overrides.expires_at is null or overrides.expires_at > :as_of)
    and overrides.segment in ({declared_names})
"""

# The users with new events, as an array the planner pushes to each table's user_id index.
CHANGED_USERS = "array(select distinct user_id from app.activity_events where received_at > :since)"

PROFILE_COLUMNS = (
    "created_at, roulette_plays, dice_plays, lottery_plays, total_play_duration, "
    "last_bonus_used_at, last_login_at, last_play_at, last_charge_at, deposit_30d, "
    "last_active_at"
)
UPSERT_COLUMNS = f"{PROFILE_COLUMNS}, segment, as_of"


def profile_select(**filters: str) -> str:
    """PROFILE_SELECT with the filters, and the segments and deposit window as declared."""
    declared = project_vars()
    segments = declared[SEGMENTS_VAR]
    branches = " ".join(f"when ({entry['when']}) then '{entry['name']}'" for entry in segments[:-1])
    return PROFILE_SELECT.format(
        **filters,
        segment_case=f"case {branches} else '{segments[-1]['name']}' end",
        declared_names=", ".join(f"'{entry['name']}'" for entry in segments),
        evaluated_columns=", ".join(
            f"evaluated.{column.strip()}" for column in PROFILE_COLUMNS.split(",")
        ),
        window_days=int(declared["pulse__vip_window_days"]),
    )


NEW_EVENTS_SQL = """
insert into app.activity_events
    (event_id, user_id, event_type, occurred_at, received_at, play_duration_seconds)
select
    gen_random_uuid(),
    drawn.user_id,
    drawn.event_type,
    now() - random() * interval '1 hour',
    now(),
    case when drawn.event_type = 'play_duration' then 30 + floor(random() * 600)::int end
from (
    select
        picked.user_id,
        (array['roulette_play', 'dice_play', 'lottery_play', 'play_duration', 'bonus_used',
               'login'])[1 + floor(random() * 6)::int] as event_type
    from (select id as user_id from app.users order by random() limit :users) as picked
    cross join generate_series(1, :per_user) as n
) as drawn
"""


def timed(engine: Engine, sql: str, params: dict[str, Any]) -> float:
    with engine.begin() as connection:
        started = time.perf_counter()
        connection.execute(text(sql), params)
        return time.perf_counter() - started


def run_dbt(arguments: list[str], target: Path, as_of: datetime) -> tuple[float, dict[str, float]]:
    """Wall time of one dbt invocation and each model's execution time from
    run_results.json, plus `publish` (the on-run-end hooks: the publish gate), `data_tests`
    (the sum over the data tests), `data_test_count` and `elapsed` (dbt's own time from the
    first node to the last: the wall time without starting Python, importing dbt, loading
    the project and writing artifacts)."""
    dbt_vars = {
        # Like the hand-written upsert, re-read nothing from before the previous run
        # (by default 10 minutes are re-read to catch late commits; earlier runs of this
        # benchmark on the same data would otherwise add their users to the work).
        "pulse__late_arrival_minutes": 0,
    }
    command = [
        str(Path(sys.executable).with_name("dbt")),
        *arguments,
        "--target-path",
        str(target),
        "--vars",
        json.dumps(dbt_vars),
    ]
    started = time.perf_counter()
    completed = subprocess.run(
        command,
        cwd=DBT_PROJECT_DIR,
        # as_of the way the orchestration passes it: the same --vars on both builds
        # let the incremental one keep dbt's partial parse, as scheduled runs do
        env={**os.environ, **dbt_environment(), **dbt_as_of_environment(as_of.isoformat())},
        check=False,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"dbt {' '.join(arguments)} failed (exit {completed.returncode})")
    results = json.loads((target / "run_results.json").read_text())
    nodes = {
        result["unique_id"].split(".")[-1]: float(result["execution_time"])
        for result in results["results"]
        if result["unique_id"].startswith(("model.", "snapshot."))
    }
    nodes["publish"] = round(
        sum(
            float(result["execution_time"])
            for result in results["results"]
            if result["unique_id"].startswith("operation.pulse.pulse-on-run-end")
        ),
        2,
    )
    tests = [r for r in results["results"] if r["unique_id"].startswith("test.")]
    nodes["data_tests"] = round(sum(float(r["execution_time"]) for r in tests), 2)
    nodes["data_test_count"] = len(tests)
    nodes["elapsed"] = round(float(results["elapsed_time"]), 2)
    return wall, nodes


def read_rows_affected(target: Path, model: str) -> int:
    """Rows the model's last run wrote, as dbt recorded them."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    node = next(result for result in results if result["unique_id"].endswith(f".{model}"))
    return int(node["adapter_response"].get("rows_affected", -1))


def latest_users_evaluated(engine: Engine) -> int:
    """Users whose segment rules the latest run evaluated: every run evaluates everyone."""
    with engine.connect() as connection:
        return int(connection.scalar(text("select count(*) from analytics.user_segment")))


def explain_incremental(engine: Engine, target: Path) -> str:
    model = target / "compiled" / "pulse" / "models" / "marts" / "user_activity.sql"
    compiled = model.read_text()
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("explain " + compiled.replace("%", "%%")).all()
    return "\n".join(row[0] for row in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--new-events", type=int, default=100_000)
    parser.add_argument("--new-event-users", type=int, default=50_000)
    args = parser.parse_args()
    # the hand-written statements run with the session settings of dbt's connections
    engine = create_engine(database_url(), connect_args={"options": DBT_SESSION_OPTIONS})
    target = RESULTS_DIR / "dbt-target"
    with engine.begin() as connection:
        counts = {
            table: connection.scalar(text(f"select count(*) from app.{table}"))
            for table in ("users", "activity_events", "ranking_snapshots")
        }
        for schema in DBT_SCHEMAS:
            connection.execute(text(f"drop schema if exists {schema} cascade"))
        connection.execute(text("create schema bench_baseline"))
    print(f"data: {counts}", flush=True)

    full_as_of = datetime.now(UTC)
    create_baseline = "create table bench_baseline.user_profile as " + profile_select(
        snapshot_filter="", event_filter="", user_filter=""
    )
    # The baseline runs before and after dbt, and the ratios use the mean: on this shared
    # machine one statement's time moved by 40% between consecutive runs.
    baseline_full_runs = [timed(engine, create_baseline, {"as_of": full_as_of})]
    print(f"baseline create table as select: {baseline_full_runs[0]:.1f} s", flush=True)

    full_wall, full_nodes = run_dbt(dbt_build_args(full_refresh=True), target, full_as_of)
    print(f"dbt build --full-refresh: {full_wall:.1f} s wall; nodes {full_nodes}", flush=True)

    with engine.begin() as connection:
        connection.execute(text("drop table bench_baseline.user_profile"))
    baseline_full_runs.append(timed(engine, create_baseline, {"as_of": full_as_of}))
    baseline_full = sum(baseline_full_runs) / len(baseline_full_runs)
    with engine.begin() as connection:
        connection.execute(text("create unique index on bench_baseline.user_profile (user_id)"))
    print(f"baseline create table as select again: {baseline_full_runs[1]:.1f} s", flush=True)

    with engine.begin() as connection:
        since = connection.scalar(text("select now()"))
    per_user = max(1, args.new_events // args.new_event_users)
    timed(engine, NEW_EVENTS_SQL, {"users": args.new_event_users, "per_user": per_user})
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("analyze app.activity_events")
        )

    incremental_as_of = datetime.now(UTC)
    changed = f"and user_id = any({CHANGED_USERS})"
    upsert = (
        f"insert into bench_baseline.user_profile (user_id, {UPSERT_COLUMNS}) "
        + profile_select(
            snapshot_filter=changed,
            event_filter=changed,
            user_filter=f"and users.id = any({CHANGED_USERS})",
        )
        + f" on conflict (user_id) do update set ({UPSERT_COLUMNS}) = "
        + "("
        + ", ".join(f"excluded.{c.strip()}" for c in UPSERT_COLUMNS.split(","))
        + ")"
    )
    upsert_parameters = {"as_of": incremental_as_of, "since": since}
    baseline_upsert_runs = [timed(engine, upsert, upsert_parameters)]
    print(f"baseline upsert of the changed users: {baseline_upsert_runs[0]:.2f} s", flush=True)

    incremental_wall, incremental_nodes = run_dbt(dbt_build_args(), target, incremental_as_of)
    print(f"dbt build (incremental): {incremental_wall:.1f} s wall; nodes {incremental_nodes}")

    # the same users again: the same work
    baseline_upsert_runs.append(timed(engine, upsert, upsert_parameters))
    baseline_upsert = sum(baseline_upsert_runs) / len(baseline_upsert_runs)
    print(f"baseline upsert again: {baseline_upsert_runs[1]:.2f} s", flush=True)

    plan = explain_incremental(engine, target)
    # the models that compute the profile and the segment (the rules are evaluated where
    # user_segment_updates reads the user_segment view)
    profile_models = ("user_activity", "user_segment", "user_segment_updates")
    report = {
        "measured_at": datetime.now(UTC).isoformat(),
        "incremental_users_recomputed": read_rows_affected(target, "user_activity"),
        "incremental_users_reevaluated": latest_users_evaluated(engine),
        "incremental_rows_published": read_rows_affected(target, "user_segment_updates"),
        "data": counts,
        "new_events": args.new_events,
        "new_event_users": args.new_event_users,
        "baseline_full_s": round(baseline_full, 2),
        "baseline_full_runs_s": [round(run, 2) for run in baseline_full_runs],
        "dbt_full_wall_s": round(full_wall, 2),
        "dbt_full_nodes_s": full_nodes,
        "full_profile_models_s": round(sum(full_nodes[m] for m in profile_models), 2),
        "full_all_models_s": round(sum(full_nodes[m] for m in MODELS_AND_SNAPSHOT), 2),
        "baseline_upsert_s": round(baseline_upsert, 2),
        "baseline_upsert_runs_s": [round(run, 2) for run in baseline_upsert_runs],
        "dbt_incremental_wall_s": round(incremental_wall, 2),
        "dbt_incremental_nodes_s": incremental_nodes,
        "incremental_user_activity_s": round(incremental_nodes["user_activity"], 2),
        "incremental_models_s": round(sum(incremental_nodes[m] for m in profile_models), 2),
        "incremental_all_models_s": round(
            sum(incremental_nodes[m] for m in MODELS_AND_SNAPSHOT), 2
        ),
    }
    report["ratio_full_profile_models_vs_baseline"] = round(
        report["full_profile_models_s"] / baseline_full, 2
    )
    report["ratio_incremental_user_activity_vs_upsert"] = round(
        report["incremental_user_activity_s"] / baseline_upsert, 2
    )
    report["ratio_incremental_models_vs_upsert"] = round(
        report["incremental_models_s"] / baseline_upsert, 2
    )
    report["ratio_incremental_wall_vs_full_wall"] = round(incremental_wall / full_wall, 3)
    # the same without dbt's fixed cost per invocation (start, parse, artifacts)
    report["ratio_incremental_nodes_vs_full_nodes"] = round(
        incremental_nodes["elapsed"] / full_nodes["elapsed"], 3
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (RESULTS_DIR / f"dbt-{stamp}.json").write_text(json.dumps(report, indent=2))
    (RESULTS_DIR / f"dbt-{stamp}-incremental-plan.txt").write_text(plan)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
