{{
    config(
        materialized='table',
        indexes=[
            {'columns': ['user_id'], 'unique': true},
        ],
    )
}}

{#- The run's transitions: the players whose (segment, rule) in user_segment_updates
    differ from their open version in the published history, and the players without
    one. A player missing from user_segment_updates has the published row, whose
    (segment, rule) is their open version (every publish but a replay appends the
    transitions; after a replay every row is an update). Built and tested beside the
    candidate like any model; the publish gate (macros/pulse_publish.sql) appends
    exactly these rows to the history and, where the segment moved, to the change feed,
    in the transaction that publishes the updates. Before the first publish there is no
    history: every player is a transition. -#}
{%- set history = pulse_published_history() -%}

with

user_segment_updates as (

    select * from {{ ref('user_segment_updates') }}
    -- a removed player's history keeps its last version
    where not is_removed

),

{% if history %}
open_versions as (

    select * from {{ history }}
    where dbt_valid_to is null

),
{% endif %}

transitions as (

    select
        -- the version's id and its change's: one per player and run
        {{ dbt.hash(dbt.concat([
            dbt.cast('user_segment_updates.user_id', dbt.type_string()),
            "'|'",
            dbt.cast('user_segment_updates.computed_at', dbt.type_string()),
        ])) }} as change_id,
        user_segment_updates.user_id,
        user_segment_updates.segment,
        user_segment_updates.rule,
        user_segment_updates.matched_segments,
        user_segment_updates.last_active_at,
        user_segment_updates.deposit_30d,
        user_segment_updates.created_at,
        user_segment_updates.as_of,
        user_segment_updates.computed_at,
        user_segment_updates.override_reason,
        user_segment_updates.override_expires_at,
        {% if history -%}
        open_versions.segment as from_segment,
        open_versions.rule as from_rule
        {%- else -%}
        cast(null as {{ dbt.type_string() }}) as from_segment,
        cast(null as {{ dbt.type_string() }}) as from_rule
        {%- endif %}

    from user_segment_updates
    {% if history -%}
    left join open_versions
        on user_segment_updates.user_id = open_versions.user_id
    where
        open_versions.user_id is null
        or user_segment_updates.segment <> open_versions.segment
        or user_segment_updates.rule <> open_versions.rule
    {%- endif %}

)

select * from transitions
