"""Fill Pulse's tables with realistic players, events and deposit snapshots.

    pulse demo-data --users 2000
    pulse demo-data --users 1000000 --events-per-user 20

(`python scripts/generate_demo_data.py ...` runs the same command.)

Rows are generated inside PostgreSQL with set-based INSERT ... SELECT (no row
crosses the network), so 1M users / 20M events take minutes. Users get new ids
after the largest existing one, so the generator can be run again to add more.
The shape of the data, over the last `--days` days:
- signup times spread over the window (a few older players);
- a heavy-tailed number of events per player (most play a little, a few a lot);
- about 60% recently active, 20% idle 7-30 days, 20% idle 30+ days;
- about 60% of players deposit; deposit totals grow by snapshots, with
  occasional resets to zero (corrections), and a few whales.
"""

from __future__ import annotations

import argparse
import time

from sqlalchemy import create_engine, text

from pulse.database_url import database_url

USERS_SQL = """
insert into app.users (id, created_at, last_login_at, updated_at)
select
    :first_id + n - 1,
    :now - (random() * :days * interval '1 day') - case when random() < 0.1
        then random() * 180 * interval '1 day' else interval '0' end,
    null,
    :now
from generate_series(1, :users) as n
"""

# Per-player plan: how many events, and the window they fall in.
PLANS_SQL = """
create temporary table demo_plans on commit drop as
select
    users.id as user_id,
    users.created_at as active_from,
    greatest(
        users.created_at,
        :now - case
            when dormancy.draw < 0.6 then random() * interval '3 days'
            when dormancy.draw < 0.8 then (7 + random() * 23) * interval '1 day'
            else (30 + random() * 60) * interval '1 day'
        end
    ) as active_until,
    least(2000, floor(-ln(1 - random() * 0.999999) * :events_per_user))::int as event_count
from app.users as users
cross join lateral (select random() + users.id * 0 as draw) as dormancy
where users.id >= :first_id
"""

EVENTS_SQL = """
insert into app.activity_events
    (event_id, user_id, event_type, occurred_at, received_at, play_duration_seconds, metadata)
select
    gen_random_uuid(),
    drawn.user_id,
    drawn.event_type,
    drawn.occurred_at,
    drawn.occurred_at + (random() * 5) * interval '1 second',
    case when drawn.event_type = 'play_duration' then 30 + floor(random() * 3570)::int end,
    '{"source": "demo"}'::jsonb
from (
    select
        plans.user_id,
        plans.active_from + random() * (plans.active_until - plans.active_from) as occurred_at,
        case
            when pick.draw < 0.30 then 'roulette_play'
            when pick.draw < 0.55 then 'dice_play'
            when pick.draw < 0.70 then 'lottery_play'
            when pick.draw < 0.85 then 'play_duration'
            when pick.draw < 0.90 then 'bonus_used'
            else 'login'
        end as event_type
    from demo_plans as plans
    cross join lateral generate_series(1, plans.event_count) as n
    cross join lateral (select random() + n * 0 as draw) as pick
) as drawn
"""

LAST_LOGIN_SQL = """
update app.users as users
set last_login_at = logins.last_login_at
from (
    select user_id, max(occurred_at) as last_login_at
    from app.activity_events
    where event_type = 'login' and user_id >= :first_id
    group by user_id
) as logins
where users.id = logins.user_id
"""

SNAPSHOTS_SQL = """
insert into app.ranking_snapshots (user_id, deposit_amount, updated_at, received_at)
select
    user_id,
    case when is_reset then 0 else running_total end,
    updated_at,
    updated_at + interval '2 seconds'
from (
    select
        steps.user_id,
        steps.updated_at,
        random() < 0.03 as is_reset,
        sum(steps.increment) over (
            partition by steps.user_id order by steps.updated_at
        ) as running_total
    from (
        select distinct on (plans.user_id, stamp.updated_at)
            plans.user_id,
            stamp.updated_at,
            round((10000 * exp(power(random(), 2) * 6))::numeric, -2) as increment
        from demo_plans as plans
        cross join lateral generate_series(
            1, floor(random() * :snapshots_per_user * 2 + plans.user_id * 0)::int
        ) as n
        cross join lateral (
            select date_trunc(
                'second',
                plans.active_from
                + random() * (plans.active_until - plans.active_from)
                + n * interval '0'
            ) as updated_at
        ) as stamp
        where plans.user_id % 5 < 3  -- three players in five deposit
        order by plans.user_id, stamp.updated_at
    ) as steps
) as snapshots
"""

CURRENT_DEPOSITS_SQL = """
insert into app.external_ranking_data (user_id, deposit_amount, updated_at)
select distinct on (user_id) user_id, deposit_amount, updated_at
from app.ranking_snapshots
where user_id >= :first_id
order by user_id, updated_at desc
on conflict (user_id) do update
set deposit_amount = excluded.deposit_amount, updated_at = excluded.updated_at
"""


def generate(
    url: str, users: int, events_per_user: float, snapshots_per_user: float, days: int, seed: float
) -> dict[str, int]:
    engine = create_engine(url)
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        connection.execute(text("select setseed(:seed)"), {"seed": seed})
        first_id = connection.scalar(text("select coalesce(max(id), 0) + 1 from app.users"))
        now = connection.scalar(text("select date_trunc('second', now())"))
        params = {
            "first_id": first_id,
            "now": now,
            "users": users,
            "days": days,
            "events_per_user": events_per_user,
            "snapshots_per_user": snapshots_per_user,
        }
        steps = [
            ("users", USERS_SQL),
            ("plans", PLANS_SQL),
            ("events", EVENTS_SQL),
            ("last logins", LAST_LOGIN_SQL),
            ("snapshots", SNAPSHOTS_SQL),
            ("current deposits", CURRENT_DEPOSITS_SQL),
        ]
        for name, sql in steps:
            started = time.monotonic()
            result = connection.execute(text(sql), params)
            counts[name] = result.rowcount
            print(
                f"  {name:<17} {result.rowcount:>11,} rows  {time.monotonic() - started:6.1f} s",
                flush=True,
            )
    # Leave the tables as autovacuum leaves them after a bulk load: planner statistics,
    # and a visibility map, without which every index-only scan (counts of users, for
    # one) reads the heap as well.
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            text(
                "vacuum (analyze) app.users, app.activity_events, app.ranking_snapshots, "
                "app.external_ranking_data"
            )
        )
    engine.dispose()
    return counts


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """`pulse demo-data`."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=2000, help="players to add (default 2000)")
    parser.add_argument(
        "--events-per-user", type=float, default=20.0, help="mean events per player (default 20)"
    )
    parser.add_argument(
        "--snapshots-per-user",
        type=float,
        default=2.5,
        help="mean deposit snapshots per depositing player (default 2.5)",
    )
    parser.add_argument("--days", type=int, default=90, help="history window in days (default 90)")
    parser.add_argument("--seed", type=float, default=0.42, help="random seed in [-1, 1]")
    parser.add_argument(
        "--if-empty", action="store_true", help="do nothing when app.users already has rows"
    )
    args = parser.parse_args(argv)
    if args.users < 1:
        parser.error("--users must be at least 1")
    url = database_url()
    if args.if_empty:
        engine = create_engine(url)
        with engine.connect() as connection:
            existing = connection.scalar(text("select count(*) from app.users"))
        engine.dispose()
        if existing:
            print(f"demo data: {existing:,} users already present, nothing added")
            return 0
    print(f"demo data: adding {args.users:,} players over {args.days} days", flush=True)
    started = time.monotonic()
    generate(url, args.users, args.events_per_user, args.snapshots_per_user, args.days, args.seed)
    print(f"demo data: done in {time.monotonic() - started:.1f} s")
    return 0
