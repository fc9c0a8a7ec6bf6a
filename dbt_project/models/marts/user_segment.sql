{{
    config(
        materialized='table' if target.type == 'spark' else 'view',
    )
}}

{#- Exactly one segment per player at the run's as_of, evaluated on every run from the
    profiles, the overrides and as_of, so a rule that depends on time needs no
    bookkeeping (docs/decisions/segment-rules.md).

    THE SEGMENT RULES are the declaration in var pulse__segments (dbt_project.yml):
    every entry's `when` is evaluated over one row per player (the profile columns and
    as_of, macros/pulse_segments.sql), the first entry whose `when` held gives the
    segment, and the last entry is the fallback. An override in force at as_of wins over
    every rule, if its segment is still declared (docs/decisions/removed-segment-overrides.md).

    A view on PostgreSQL: user_segment_updates reads it once, to keep the players whose
    published row it changes, so the 1M rows are evaluated on every run but written only
    where they moved (docs/decisions/publish-gate.md). On Spark a table, which the marts'
    load-back copies into PostgreSQL. -#}
{%- set segments = pulse_segments() -%}
{%- set rules = segments[:-1] -%}
{%- set fallback = segments[-1] -%}
{%- set profile_columns = pulse_segment_profile_columns() | map(attribute=0)
    | reject('equalto', 'user_id') | list -%}
{%- set as_of = pulse_as_of() -%}

with

user_activity as (

    select * from {{ ref('user_activity') }}

),

segment_overrides as (

    select * from {{ ref('stg_app__segment_overrides') }}

),

evaluation_rows as (

    -- the row every `when` reads: its columns are named without a table
    select
        user_activity.user_id,
        {% for column in profile_columns -%}
        user_activity.{{ column }},
        {% endfor -%}
        {{ as_of }} as as_of

    from user_activity

),

rule_matches as (

    -- whether each entry's `when` held, evaluated before overrides, once per player
    select
        {% for entry in rules -%}
        {{ pulse_segment_condition(entry) }} as is_{{ entry.name | lower }},
        {% endfor -%}
        evaluation_rows.*

    from evaluation_rows
    {{ pulse_evaluate_once() }}

),

first_matches as (

    -- the first entry that held (the fallback when none did), and every entry that
    -- held, in priority order
    select
        rule_matches.*,
        {% if rules -%}
        case
            {% for entry in rules -%}
            when rule_matches.is_{{ entry.name | lower }}
                then {{ pulse_sql_string(entry.name) }}
            {% endfor -%}
            else {{ pulse_sql_string(fallback.name) }}
        end as matched_segment,
        concat_ws(
            ',',
            {% for entry in rules -%}
            case
                when rule_matches.is_{{ entry.name | lower }}
                    then {{ pulse_sql_string(entry.name) }}
            end,
            {% endfor -%}
            case
                {% for entry in rules -%}
                when rule_matches.is_{{ entry.name | lower }} then null
                {% endfor -%}
                else {{ pulse_sql_string(fallback.name) }}
            end
        ) as matched_segments
        {%- else -%}
        {{ pulse_sql_string(fallback.name) }} as matched_segment,
        {{ pulse_sql_string(fallback.name) }} as matched_segments
        {%- endif %}

    from rule_matches

),

overrides_in_force as (

    -- set at or before as_of, not expired at as_of, and naming a declared segment: an
    -- override of a segment removed from the declaration is ignored
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
        and segment_overrides.segment in (
            {%- for entry in segments -%}
            {{ pulse_sql_string(entry.name) }}{{ ', ' if not loop.last }}
            {%- endfor -%}
        )

),

user_segment as (

    select
        first_matches.user_id,
        coalesce(overrides_in_force.segment, first_matches.matched_segment) as segment,
        case
            when overrides_in_force.user_id is not null then 'override'
            else lower(first_matches.matched_segment)
        end as rule,
        first_matches.matched_segments,
        first_matches.as_of,
        {{ pulse_run_started_at() }} as computed_at,
        {% for column in profile_columns -%}
        first_matches.{{ column }},
        {% endfor -%}
        overrides_in_force.override_reason,
        overrides_in_force.expires_at as override_expires_at

    from first_matches
    left join overrides_in_force
        on first_matches.user_id = overrides_in_force.user_id

)

select * from user_segment
