{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[
            {'columns': ['changed_at', 'change_id'], 'unique': true},
            {'columns': ['user_id']},
        ],
        post_hook=["{{ pulse_analyze_new_table('changed_at') }}"],
    )
}}

{#- One row per segment transition, read from the membership history: a version
    whose segment differs from the version it closed (or a user's first version).

    Append-only: a run reads only versions opened after the newest change on record,
    so it never writes a change_id twice (a delete of the incoming ids found nothing
    and scanned the whole feed); the unique index fails the run loudly if it ever
    did. That index is the readers' page order, (changed_at, change_id): a change_id
    is the hash of the user and the run's computed_at, which is its changed_at, so
    one change_id never comes with two changed_at. A unique index on change_id alone
    would put each run's new ids on random pages of a 1M-entry index. -#}

with

segment_versions as (

    select * from {{ ref('user_segment_history') }}

),

closed_segment_versions as (

    select * from {{ ref('user_segment_history') }}
    where dbt_valid_to is not null

),

new_segment_versions as (

    select * from segment_versions
    {% if is_incremental() %}
    -- a literal, so the planner reads the new versions through the dbt_valid_from index
    where dbt_valid_from > {{ pulse_latest_moment(this, 'changed_at') }}
    {% endif %}

),

transitions as (

    select
        new_segment_versions.dbt_scd_id as change_id,
        new_segment_versions.user_id,
        closed_segment_versions.segment as from_segment,
        new_segment_versions.segment as to_segment,
        new_segment_versions.dbt_valid_from as changed_at,
        new_segment_versions.as_of

    from new_segment_versions
    left join closed_segment_versions
        on
            new_segment_versions.user_id = closed_segment_versions.user_id
            and new_segment_versions.dbt_valid_from = closed_segment_versions.dbt_valid_to
    where
        closed_segment_versions.user_id is null
        or closed_segment_versions.segment <> new_segment_versions.segment

)

select * from transitions
