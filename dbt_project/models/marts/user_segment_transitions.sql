{{
    config(
        materialized='table',
        indexes=[
            {'columns': ['user_id'], 'unique': true},
        ],
    )
}}

{#- The run's transitions: the players whose (segment, rule) in the candidate
    user_segment differ from their open version in the published history, and the
    players without one. Built and tested beside the candidate like any model; the
    publish gate (macros/pulse_publish.sql) appends exactly these rows to the history
    and, where the segment moved, to the change feed, in the transaction that swaps
    the candidate in. Before the first publish there is no history: every player is
    a transition. -#}
{%- set history = pulse_published_history() -%}

with

user_segment as (

    select * from {{ ref('user_segment') }}

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
            dbt.cast('user_segment.user_id', dbt.type_string()),
            "'|'",
            dbt.cast('user_segment.computed_at', dbt.type_string()),
        ])) }} as change_id,
        user_segment.user_id,
        user_segment.segment,
        user_segment.rule,
        user_segment.matched_segments,
        user_segment.last_active_at,
        user_segment.deposit_30d,
        user_segment.created_at,
        user_segment.as_of,
        user_segment.computed_at,
        user_segment.override_reason,
        user_segment.override_expires_at,
        {% if history -%}
        open_versions.segment as from_segment,
        open_versions.rule as from_rule
        {%- else -%}
        cast(null as {{ dbt.type_string() }}) as from_segment,
        cast(null as {{ dbt.type_string() }}) as from_rule
        {%- endif %}

    from user_segment
    {% if history -%}
    left join open_versions
        on user_segment.user_id = open_versions.user_id
    where
        open_versions.user_id is null
        or user_segment.segment <> open_versions.segment
        or user_segment.rule <> open_versions.rule
    {%- endif %}

)

select * from transitions
