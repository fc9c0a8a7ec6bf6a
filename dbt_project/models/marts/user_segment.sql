{{
    config(
        materialized='table',
        indexes=[
            {'columns': ['user_id'], 'unique': true},
            {'columns': ['segment']},
        ],
    )
}}

{#- The segment rules. Thresholds are vars in dbt_project.yml; the order of the
    `case` branches is the contract: the first rule that matches wins, and an
    override that has not expired at as_of wins over every rule. -#}
{%- set as_of = pulse_as_of() -%}

with

user_activity as (

    select * from {{ ref('user_activity') }}

),

users as (

    select * from {{ ref('stg_app__users') }}

),

segment_overrides as (

    select * from {{ ref('stg_app__segment_overrides') }}

),

features as (

    select
        user_activity.user_id,
        users.created_at,
        user_activity.last_active_at,
        user_activity.deposit_30d

    from user_activity
    inner join users
        on user_activity.user_id = users.user_id

),

ruled as (

    select
        features.user_id,
        features.created_at,
        features.last_active_at,
        features.deposit_30d,
        case
            when features.deposit_30d >= {{ var('pulse__vip_min_deposit_30d') }}
                then 'vip'
            when features.last_active_at
                <= {{ dbt.dateadd('day', -1 * var('pulse__dormant_long_days'), as_of) }}
                then 'dormant_long'
            when features.last_active_at
                <= {{ dbt.dateadd('day', -1 * var('pulse__dormant_short_days'), as_of) }}
                then 'dormant_short'
            when features.created_at
                > {{ dbt.dateadd('day', -1 * var('pulse__new_user_days'), as_of) }}
                then 'new'
            else 'active'
        end as rule

    from features

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

user_segment as (

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
        {{ as_of }} as as_of,
        {{ pulse_run_started_at() }} as computed_at,
        overrides_in_force.override_reason,
        overrides_in_force.expires_at as override_expires_at

    from ruled
    left join overrides_in_force
        on ruled.user_id = overrides_in_force.user_id

)

select * from user_segment
