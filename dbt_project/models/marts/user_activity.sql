{{
    config(
        materialized=pulse_incremental_materialization(),
        unique_key='user_id',
        incremental_strategy='upsert',
        on_schema_change='fail',
        meta={'pulse_rebuild_when_rules_change': true},
        indexes=[
            {'columns': ['user_id'], 'unique': true},
            {'columns': ['updated_at']},
            {'columns': ['evaluated_at']},
            {'columns': ['segment', 'user_id']},
        ],
        post_hook=[
            "{{ pulse_create_segment_runs() }}",
            "{{ pulse_record_segment_run() }}",
            "{{ pulse_analyze_new_table('evaluated_at') }}",
        ],
    )
}}

{#- The profile of each player and the segment its features give, evaluated at the
    run's as_of, written in one table (docs/decisions/segment-rules.md says why);
    user_segment publishes the segment columns. The indexes: lookups by user, the
    changed rows, the rows of the latest run, and the admin API's pages through a
    segment's members (by user_id). The post-hooks record the run (as_of, computed_at)
    in the same transaction, so user_segment publishes rows and labels together, and
    give a freshly built table its planner statistics (macros/pulse_analyze_new_table.sql).
    meta.pulse_rebuild_when_rules_change: after an edit of the rules, the next run
    rebuilds the table instead of rewriting every row (macros/should_full_refresh.sql).

    See docs/decisions/incremental-user-activity.md for why an incremental run equals
    a full refresh at the same as_of. -#}
{%- set as_of = pulse_as_of() -%}
{#- read only by incremental runs, but resolved always so dbt sees the dependency -#}
{%- set ranking_snapshots_relation = ref('stg_app__ranking_snapshots') -%}
{%- set activity_event_arrivals_relation = ref('stg_app__activity_event_arrivals') -%}
{%- set window_days = var('pulse__vip_window_days') -%}
{%- set deposit_window_starts_at = dbt.dateadd('day', -1 * window_days, as_of) -%}
{#- data received after this moment has not been seen by an earlier run -#}
{#- asked once: with a rules check behind it (macros/should_full_refresh.sql), each
    call queries the table -#}
{%- set incremental = is_incremental() -%}
{%- set received_after = pulse_received_after(this if incremental else none) -%}
{%- set play_event_types = "'roulette_play', 'dice_play', 'lottery_play', 'play_duration'" -%}
{#- the segment thresholds (dbt_project.yml) and the version of these rules -#}
{%- set vip_min_deposit_30d = var('pulse__vip_min_deposit_30d') -%}
{%- set dormant_long_days = var('pulse__dormant_long_days') -%}
{%- set dormant_short_days = var('pulse__dormant_short_days') -%}
{%- set new_user_days = var('pulse__new_user_days') -%}
{%- set rules_version = pulse_rules_version() -%}

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

segment_overrides as (

    select * from {{ ref('stg_app__segment_overrides') }}

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
    -- dated-ahead event becomes visible, a rule's time boundary is crossed), rows
    -- computed for a later as_of, rows of other rules, and overrides that applied
    -- (one may have been cleared since)
    select previous_activity.user_id
    from {{ this }} as previous_activity
    where
        previous_activity.valid_until <= {{ as_of }}
        or previous_activity.valid_from > {{ as_of }}
        or previous_activity.updated_at > {{ as_of }}
        or previous_activity.rules_version <> '{{ rules_version }}'
        or previous_activity.rule = 'override'

),

overridden_users as (

    -- users with an override on record: few, and re-evaluated every run, which keeps
    -- expiry, replacement and clearing exact without more bookkeeping. It reads the
    -- view, not the import CTE: PostgreSQL materializes a CTE read twice.
    select recorded_overrides.user_id
    from {{ ref('stg_app__segment_overrides') }} as recorded_overrides

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
    union
    select user_id from overridden_users

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

profiles as (

    select
        user_id,
        -- a feature of the segment rules
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
        ) as values_valid_until

    from joined

),

segment_rules as (

    {#- THE SEGMENT RULES. Thresholds are vars in dbt_project.yml; the order of the
        `case` branches is the contract: the first rule that matches wins, and an
        override that has not expired at as_of wins over every rule. An edit here or
        of a threshold changes rules_version, and the next run re-evaluates every
        user. #}
    select
        profiles.*,
        case
            when profiles.deposit_30d >= {{ vip_min_deposit_30d }}
                then 'vip'
            when profiles.last_active_at
                <= {{ dbt.dateadd('day', -1 * dormant_long_days, as_of) }}
                then 'dormant_long'
            when profiles.last_active_at
                <= {{ dbt.dateadd('day', -1 * dormant_short_days, as_of) }}
                then 'dormant_short'
            when profiles.created_at
                > {{ dbt.dateadd('day', -1 * new_user_days, as_of) }}
                then 'new'
            else 'active'
        end as matched_rule,
        -- the moments at which time alone changes the outcome of the rules above
        {{ dbt.dateadd('day', dormant_long_days, 'profiles.last_active_at') }}
            as dormant_long_at,
        {{ dbt.dateadd('day', dormant_short_days, 'profiles.last_active_at') }}
            as dormant_short_at,
        {{ dbt.dateadd('day', new_user_days, 'profiles.created_at') }}
            as no_longer_new_at

    from profiles

),

overrides_in_force as (

    -- set at or before as_of, and not expired at as_of
    select
        segment_overrides.user_id,
        segment_overrides.segment,
        segment_overrides.override_reason,
        segment_overrides.expires_at

    from segment_overrides
    where
        segment_overrides.created_at <= {{ as_of }}
        and (
            segment_overrides.expires_at is null
            or segment_overrides.expires_at > {{ as_of }}
        )

),

user_activity as (

    select
        segment_rules.user_id,
        segment_rules.created_at,
        segment_rules.roulette_plays,
        segment_rules.dice_plays,
        segment_rules.lottery_plays,
        segment_rules.total_play_duration,
        segment_rules.last_bonus_used_at,
        segment_rules.last_login_at,
        segment_rules.last_play_at,
        segment_rules.last_charge_at,
        segment_rules.deposit_30d,
        segment_rules.last_active_at,
        segment_rules.updated_at,
        coalesce(overrides_in_force.segment, upper(segment_rules.matched_rule)) as segment,
        case
            when overrides_in_force.user_id is not null then 'override'
            else segment_rules.matched_rule
        end as rule,
        overrides_in_force.override_reason,
        overrides_in_force.expires_at as override_expires_at,
        -- the interval of as_of in which the rules give the same result for these
        -- features (null: unbounded); valid_until also ends where a value changes
        greatest(
            case
                when segment_rules.dormant_long_at <= {{ as_of }}
                    then segment_rules.dormant_long_at
            end,
            case
                when segment_rules.dormant_short_at <= {{ as_of }}
                    then segment_rules.dormant_short_at
            end,
            case
                when segment_rules.no_longer_new_at <= {{ as_of }}
                    then segment_rules.no_longer_new_at
            end
        ) as valid_from,
        least(
            segment_rules.values_valid_until,
            case
                when segment_rules.dormant_long_at > {{ as_of }}
                    then segment_rules.dormant_long_at
            end,
            case
                when segment_rules.dormant_short_at > {{ as_of }}
                    then segment_rules.dormant_short_at
            end,
            case
                when segment_rules.no_longer_new_at > {{ as_of }}
                    then segment_rules.no_longer_new_at
            end
        ) as valid_until,
        '{{ rules_version }}' as rules_version,
        -- the run that wrote the row: its data tests check the rows it wrote
        {{ pulse_run_started_at() }} as evaluated_at

    from segment_rules
    left join overrides_in_force
        on segment_rules.user_id = overrides_in_force.user_id

)

select * from user_activity
