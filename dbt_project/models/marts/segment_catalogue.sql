{{
    config(
        materialized='table',
    )
}}

{#- One row per declared segment (var pulse__segments in dbt_project.yml), rebuilt on
    every run with the run's as_of and computed_at: what the admin API and the console
    list, and what the tests check the published segments against. -#}
{%- set segments = pulse_segments() -%}

with

declared_segments as (

    {% for entry in segments -%}
    select
        cast({{ loop.index }} as {{ dbt.type_int() }}) as priority,
        cast({{ pulse_sql_string(entry.name) }} as {{ dbt.type_string() }}) as name,
        cast({{ pulse_sql_string(entry.name | lower) }} as {{ dbt.type_string() }}) as rule,
        cast({{ pulse_sql_string_or_null(entry.get('when')) }} as {{ dbt.type_string() }})
            as when_sql,
        cast({{ pulse_sql_string(entry.description) }} as {{ dbt.type_string() }}) as description,
        cast({{ pulse_sql_string_or_null(entry.get('description_ko')) }} as {{ dbt.type_string() }})
            as description_ko,
        {{ 'true' if loop.last else 'false' }} as is_fallback
    {% if not loop.last %}
    union all

    {% endif -%}
    {%- endfor %}

),

segment_catalogue as (

    select
        declared_segments.*,
        {{ pulse_as_of() }} as as_of,
        {{ pulse_run_started_at() }} as computed_at

    from declared_segments

)

select * from segment_catalogue
