{#- The incremental watermark of a model with an `updated_at` column: its newest
    updated_at minus var pulse__late_arrival_minutes (so rows committed by a
    transaction that started before the previous run are read again), as a SQL
    literal. A literal rather than a subquery, so the planner sees the value and
    reads the received_at indexes. A null literal when there is no previous row. -#}
{% macro pulse_received_after(relation) %}
    {%- set null_moment = 'cast(null as ' ~ pulse_type_timestamptz() ~ ')' -%}
    {%- if relation is none or not execute -%}
        {{ return(null_moment) }}
    {%- endif -%}
    {%- set newest_query -%}
        select max(updated_at) from {{ relation }}
    {%- endset -%}
    {%- set newest_seen = run_query(newest_query).columns[0].values()[0] -%}
    {%- if newest_seen is none -%}
        {{ return(null_moment) }}
    {%- endif -%}
    {%- set moment = newest_seen.astimezone(modules.pytz.utc).strftime('%Y-%m-%d %H:%M:%S.%f') -%}
    {{ return(dbt.dateadd(
        'minute',
        -1 * var('pulse__late_arrival_minutes'),
        "cast('" ~ moment ~ "+00:00' as " ~ pulse_type_timestamptz() ~ ")",
    )) }}
{% endmacro %}

{#- The newest value of a timestamp column of a relation, as a SQL literal the planner
    can match against an index; the year 1 when the relation is empty. -#}
{% macro pulse_latest_moment(relation, column) %}
    {%- set moment = '0001-01-01 00:00:00.000000' -%}
    {%- if execute -%}
        {%- set newest = run_query('select max(' ~ column ~ ') from ' ~ relation).columns[0].values()[0] -%}
        {%- if newest is not none -%}
            {%- set moment = newest.astimezone(modules.pytz.utc).strftime('%Y-%m-%d %H:%M:%S.%f') -%}
        {%- endif -%}
    {%- endif -%}
    {{ return("cast('" ~ moment ~ "+00:00' as " ~ pulse_type_timestamptz() ~ ")") }}
{% endmacro %}
