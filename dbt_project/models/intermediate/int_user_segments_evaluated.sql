{{
    config(
        materialized=pulse_incremental_materialization(),
        unique_key='user_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=[
            {'columns': ['user_id'], 'unique': true},
            {'columns': ['evaluated_at']},
            {'columns': ['segment', 'user_id']},
        ],
        post_hook=[
            "{{ pulse_create_segment_runs() }}",
            "{{ pulse_record_segment_run() }}",
        ],
    )
}}

{#- The indexes: lookups by user, the rows of the latest run, and the admin API's
    pages through a segment's members (by user_id). -#}

{#- THE SEGMENT RULES. Thresholds are vars in dbt_project.yml; the order of the
    `case` branches is the contract: the first rule that matches wins, and an
    override that has not expired at as_of wins over every rule.

    Incremental: a run re-evaluates only the users whose segment may differ from the
    stored one (docs/decisions/incremental-user-segment.md): new users, changed
    features, a time boundary of the rules crossed, an override on record or one
    that applied, or rules edited since (rules_version). The post-hook records the
    run (as_of, computed_at) in the same transaction, so user_segment publishes rows
    and labels together. -#}
{%- set as_of = pulse_as_of() -%}
{%- set vip_min_deposit_30d = var('pulse__vip_min_deposit_30d') -%}
{%- set dormant_long_days = var('pulse__dormant_long_days') -%}
{%- set dormant_short_days = var('pulse__dormant_short_days') -%}
{%- set new_user_days = var('pulse__new_user_days') -%}
{%- set rules_version = pulse_rules_version() -%}

with

user_activity as (

    select * from {{ ref('user_activity') }}

),

segment_overrides as (

    select * from {{ ref('stg_app__segment_overrides') }}

),

features as (

    select
        user_activity.user_id,
        user_activity.created_at,
        user_activity.last_active_at,
        user_activity.deposit_30d

    from user_activity

),

{% if is_incremental() %}

{#- The candidates read the tables directly rather than through the import CTEs:
    PostgreSQL materializes a CTE used twice, which would copy 1M rows to find a few. -#}
users_to_evaluate as (

    -- users whose user_activity row was rewritten since this model's last evaluation
    -- (new data, changed users, new users), through the evaluated_at index. Comparing
    -- their features with the stored ones first would scan both 1M-row tables to spare
    -- the few rows rewritten without a change (the history records no change for them).
    select rewritten_activity.user_id
    from {{ ref('user_activity') }} as rewritten_activity
    where
        rewritten_activity.evaluated_at > {{ pulse_latest_moment(this, 'evaluated_at') }}

    union

    -- stored rows that no longer hold: as_of left [valid_from, valid_until), the rules
    -- changed, or an override applied (it may have been cleared since)
    select stored_segments.user_id
    from {{ this }} as stored_segments
    where
        stored_segments.valid_from > {{ as_of }}
        or stored_segments.valid_until <= {{ as_of }}
        or stored_segments.rules_version <> '{{ rules_version }}'
        or stored_segments.rule = 'override'

    union

    -- users with an override on record: few, and re-evaluated every run
    select segment_overrides.user_id
    from segment_overrides

),

features_to_evaluate as (

    select features.*
    from features
    where {{ pulse_in_user_ids(
        'features.user_id',
        'select users_to_evaluate.user_id from users_to_evaluate',
    ) }}

),

{% else %}

features_to_evaluate as (

    select * from features

),

{% endif %}

ruled as (

    select
        features_to_evaluate.user_id,
        features_to_evaluate.created_at,
        features_to_evaluate.last_active_at,
        features_to_evaluate.deposit_30d,
        case
            when features_to_evaluate.deposit_30d >= {{ vip_min_deposit_30d }}
                then 'vip'
            when features_to_evaluate.last_active_at
                <= {{ dbt.dateadd('day', -1 * dormant_long_days, as_of) }}
                then 'dormant_long'
            when features_to_evaluate.last_active_at
                <= {{ dbt.dateadd('day', -1 * dormant_short_days, as_of) }}
                then 'dormant_short'
            when features_to_evaluate.created_at
                > {{ dbt.dateadd('day', -1 * new_user_days, as_of) }}
                then 'new'
            else 'active'
        end as rule,
        -- the moments at which time alone changes the outcome of the rules above
        {{ dbt.dateadd('day', dormant_long_days, 'features_to_evaluate.last_active_at') }}
            as dormant_long_at,
        {{ dbt.dateadd('day', dormant_short_days, 'features_to_evaluate.last_active_at') }}
            as dormant_short_at,
        {{ dbt.dateadd('day', new_user_days, 'features_to_evaluate.created_at') }}
            as no_longer_new_at

    from features_to_evaluate

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

evaluated as (

    select
        ruled.user_id,
        coalesce(overrides_in_force.segment, upper(ruled.rule)) as segment,
        case
            when overrides_in_force.user_id is not null then 'override'
            else ruled.rule
        end as rule,
        ruled.last_active_at,
        ruled.deposit_30d,
        ruled.created_at,
        overrides_in_force.override_reason,
        overrides_in_force.expires_at as override_expires_at,
        -- the interval of as_of in which the rules give the same result (null: unbounded)
        greatest(
            case when ruled.dormant_long_at <= {{ as_of }} then ruled.dormant_long_at end,
            case when ruled.dormant_short_at <= {{ as_of }} then ruled.dormant_short_at end,
            case when ruled.no_longer_new_at <= {{ as_of }} then ruled.no_longer_new_at end
        ) as valid_from,
        least(
            case when ruled.dormant_long_at > {{ as_of }} then ruled.dormant_long_at end,
            case when ruled.dormant_short_at > {{ as_of }} then ruled.dormant_short_at end,
            case when ruled.no_longer_new_at > {{ as_of }} then ruled.no_longer_new_at end
        ) as valid_until,
        '{{ rules_version }}' as rules_version,
        {{ pulse_run_started_at() }} as evaluated_at

    from ruled
    left join overrides_in_force
        on ruled.user_id = overrides_in_force.user_id

)

select * from evaluated
