{{
    config(
        materialized=pulse_incremental_materialization(),
        unique_key='user_id',
        incremental_strategy='upsert',
        on_schema_change='fail',
        indexes=[
            {'columns': ['user_id'], 'unique': true},
            {'columns': ['updated_at']},
            {'columns': ['evaluated_at']},
        ],
        post_hook=["{{ pulse_analyze_new_table('evaluated_at') }}"],
    )
}}

{#- The profile of each player, evaluated at the run's as_of: the columns the segment
    rules read (user_segment evaluates them on every run; no segment is stored here).
    The indexes: lookups by user, the changed rows, the rows of the latest run. The
    post-hook gives a freshly built table its planner statistics
    (macros/pulse_analyze_new_table.sql).

    See docs/decisions/incremental-user-activity.md for why an incremental run equals
    a full refresh at the same as_of. -#}
{%- set as_of = pulse_as_of() -%}
{#- read only by incremental runs, but resolved always so dbt sees the dependency -#}
{%- set ranking_snapshots_relation = ref('stg_app__ranking_snapshots') -%}
{%- set activity_event_arrivals_relation = ref('stg_app__activity_event_arrivals') -%}
{%- set window_days = var('pulse__vip_window_days') -%}
{%- set deposit_window_starts_at = dbt.dateadd('day', -1 * window_days, as_of) -%}
{#- data received after this moment has not been seen by an earlier run -#}
{%- set incremental = is_incremental() -%}
{%- set received_after = pulse_received_after(this if incremental else none) -%}
{%- set play_event_types = "'roulette_play', 'dice_play', 'lottery_play', 'play_duration'" -%}

with

users as (

    select * from {{ ref('stg_app__users') }}

),

activity_events as (

    select * from {{ ref('stg_app__activity_events') }}

),

deposit_increments as (

    select * from {{ ref('int_ranking_snapshots_incremented') }}

),

{% if incremental %}

changed_users as (

    -- users added or changed in app.users: every write of the service stamps
    -- updated_at with now(), and the users' updated_at index finds them
    select recent_users.user_id
    from {{ ref('stg_app__users') }} as recent_users
    where recent_users.updated_at > {{ received_after }}

),

unseen_users as (

    -- users the table has no row for although their updated_at is older (a bulk load
    -- that wrote updated_at itself). Looked for only when the two tables' sizes
    -- differ: two counts cost a third of an anti-join of every user on every row.
    -- (Users are never deleted, so equal sizes mean the same users.)
    select all_users.user_id
    from {{ ref('stg_app__users') }} as all_users
    left join {{ this }} as previous_activity
        on all_users.user_id = previous_activity.user_id
    where
        previous_activity.user_id is null
        and (select count(*) from {{ ref('stg_app__users') }})
        <> (select count(*) from {{ this }})

),

received_activity_events as (

    select activity_event_arrivals.user_id
    from {{ activity_event_arrivals_relation }} as activity_event_arrivals
    where
        activity_event_arrivals.received_at > {{ received_after }}

),

received_ranking_snapshots as (

    select ranking_snapshots.user_id
    from {{ ranking_snapshots_relation }} as ranking_snapshots
    where
        ranking_snapshots.received_at > {{ received_after }}

),

expired_rows as (

    -- rows whose values change with time alone (an increment leaves the window, a
    -- dated-ahead event becomes visible), rows computed for a later as_of (a replay of
    -- the past), and rows summed over another deposit window than the var's now
    select previous_activity.user_id
    from {{ this }} as previous_activity
    where
        previous_activity.valid_until <= {{ as_of }}
        or previous_activity.updated_at > {{ as_of }}
        or previous_activity.deposit_window_days <> {{ window_days }}

),

users_to_refresh as (

    select user_id from changed_users
    union
    select user_id from unseen_users
    union
    select user_id from received_activity_events
    union
    select user_id from received_ranking_snapshots
    union
    select user_id from expired_rows

),

{% endif %}

scoped_users as (

    select * from users
    {% if incremental %}
    where {{ pulse_in_user_ids(
        'users.user_id',
        'select users_to_refresh.user_id from users_to_refresh',
    ) }}
    {% endif %}

),

scoped_activity_events as (

    select * from activity_events
    {% if incremental %}
    where {{ pulse_in_user_ids(
        'activity_events.user_id',
        'select users_to_refresh.user_id from users_to_refresh',
    ) }}
    {% endif %}

),

scoped_deposit_increments as (

    select * from deposit_increments
    {% if incremental %}
    where {{ pulse_in_user_ids(
        'deposit_increments.user_id',
        'select users_to_refresh.user_id from users_to_refresh',
    ) }}
    {% endif %}

),

event_facts as (

    -- the events visible at as_of, filtered once; aggregate FILTER rather than
    -- sum(case ...): rows outside a filter skip the aggregate's work, which over 20M
    -- events is a measurable part of a full build
    select
        scoped_activity_events.user_id,
        count(*) filter (
            where scoped_activity_events.event_type = 'roulette_play'
        ) as roulette_plays,
        count(*) filter (
            where scoped_activity_events.event_type = 'dice_play'
        ) as dice_plays,
        count(*) filter (
            where scoped_activity_events.event_type = 'lottery_play'
        ) as lottery_plays,
        sum(scoped_activity_events.play_duration_seconds) as total_play_duration,
        max(scoped_activity_events.occurred_at) filter (
            where scoped_activity_events.event_type = 'bonus_used'
        ) as last_bonus_used_at,
        max(scoped_activity_events.occurred_at) filter (
            where scoped_activity_events.event_type = 'login'
        ) as last_login_event_at,
        max(scoped_activity_events.occurred_at) filter (
            where scoped_activity_events.event_type in ({{ play_event_types }})
        ) as last_play_at,
        max(scoped_activity_events.occurred_at) as last_event_at,
        max(scoped_activity_events.received_at) as events_received_at

    from scoped_activity_events
    where scoped_activity_events.occurred_at <= {{ as_of }}
    group by scoped_activity_events.user_id

),

pending_event_facts as (

    -- events dated after as_of (a past as_of, or events received during the run):
    -- occurred_at is clamped to received_at, so all of them were received after as_of,
    -- and the received_at index finds the few. It reads the view, not the import CTE:
    -- PostgreSQL would materialize a CTE read twice, copying every event. (No alias:
    -- `dbt run --empty`, the unit tests' setup, renders the view as an aliased subquery.)
    select
        user_id,
        min(occurred_at) filter (
            where occurred_at > {{ as_of }}
        ) as next_event_at,
        max(received_at) as events_received_at

    from {{ ref('stg_app__activity_events') }}
    where received_at > {{ as_of }}
    group by user_id

),

deposit_facts as (

    select
        scoped_deposit_increments.user_id,
        max(scoped_deposit_increments.updated_at) filter (
            where scoped_deposit_increments.updated_at <= {{ as_of }}
            and scoped_deposit_increments.deposit_increment > 0
        ) as last_charge_at,
        sum(scoped_deposit_increments.deposit_increment) filter (
            where scoped_deposit_increments.updated_at <= {{ as_of }}
            and scoped_deposit_increments.updated_at > {{ deposit_window_starts_at }}
        ) as deposit_30d,
        -- the moments an increment left the window (before as_of) or will leave it
        max({{ dbt.dateadd('day', window_days, 'scoped_deposit_increments.updated_at') }}) filter (
            where scoped_deposit_increments.updated_at <= {{ deposit_window_starts_at }}
            and scoped_deposit_increments.deposit_increment > 0
        ) as last_window_exit_at,
        min({{ dbt.dateadd('day', window_days, 'scoped_deposit_increments.updated_at') }}) filter (
            where scoped_deposit_increments.updated_at <= {{ as_of }}
            and scoped_deposit_increments.updated_at > {{ deposit_window_starts_at }}
            and scoped_deposit_increments.deposit_increment > 0
        ) as next_window_exit_at,
        min(scoped_deposit_increments.updated_at) filter (
            where scoped_deposit_increments.updated_at > {{ as_of }}
            and scoped_deposit_increments.deposit_increment > 0
        ) as next_charge_at,
        max(scoped_deposit_increments.received_at) as snapshots_received_at

    from scoped_deposit_increments
    group by scoped_deposit_increments.user_id

),

joined as (

    select
        scoped_users.user_id,
        scoped_users.created_at,
        scoped_users.updated_at as user_updated_at,
        case
            when scoped_users.last_login_at <= {{ as_of }} then scoped_users.last_login_at
        end as user_last_login_at,
        case
            when scoped_users.last_login_at > {{ as_of }} then scoped_users.last_login_at
        end as user_next_login_at,
        event_facts.roulette_plays,
        event_facts.dice_plays,
        event_facts.lottery_plays,
        event_facts.total_play_duration,
        event_facts.last_bonus_used_at,
        event_facts.last_login_event_at,
        event_facts.last_play_at,
        event_facts.last_event_at,
        pending_event_facts.next_event_at,
        greatest(
            event_facts.events_received_at, pending_event_facts.events_received_at
        ) as events_received_at,
        deposit_facts.last_charge_at,
        deposit_facts.deposit_30d,
        deposit_facts.last_window_exit_at,
        deposit_facts.next_window_exit_at,
        deposit_facts.next_charge_at,
        deposit_facts.snapshots_received_at

    from scoped_users
    left join event_facts
        on scoped_users.user_id = event_facts.user_id
    left join pending_event_facts
        on scoped_users.user_id = pending_event_facts.user_id
    left join deposit_facts
        on scoped_users.user_id = deposit_facts.user_id

),

user_activity as (

    select
        user_id,
        created_at,
        cast(coalesce(roulette_plays, 0) as {{ dbt.type_bigint() }}) as roulette_plays,
        cast(coalesce(dice_plays, 0) as {{ dbt.type_bigint() }}) as dice_plays,
        cast(coalesce(lottery_plays, 0) as {{ dbt.type_bigint() }}) as lottery_plays,
        cast(coalesce(total_play_duration, 0) as {{ dbt.type_bigint() }}) as total_play_duration,
        last_bonus_used_at,
        greatest(user_last_login_at, last_login_event_at) as last_login_at,
        last_play_at,
        last_charge_at,
        cast(coalesce(deposit_30d, 0) as {{ dbt.type_numeric() }}) as deposit_30d,
        greatest(created_at, user_last_login_at, last_event_at, last_charge_at) as last_active_at,
        -- when the row's inputs last changed: new data arrived, or time moved a value
        greatest(
            user_updated_at,
            events_received_at,
            snapshots_received_at,
            user_last_login_at,
            last_event_at,
            last_charge_at,
            last_window_exit_at
        ) as updated_at,
        -- when time alone will next change a value (null: never without new data)
        least(
            user_next_login_at, next_event_at, next_charge_at, next_window_exit_at
        ) as valid_until,
        -- the window deposit_30d was summed over: a run under another window recomputes
        cast({{ window_days }} as {{ dbt.type_int() }}) as deposit_window_days,
        -- the run that wrote the row: its data tests check the rows it wrote
        {{ pulse_run_started_at() }} as evaluated_at

    from joined

)

select * from user_activity
