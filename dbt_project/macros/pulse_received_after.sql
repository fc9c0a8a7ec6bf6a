{#- The incremental watermark of a model with an `updated_at` column: its newest
    updated_at minus var pulse__late_arrival_minutes (so rows committed by a
    transaction that started before the previous run are read again), as a SQL
    literal (pulse_timestamp_literal). A null literal when there is no previous row. -#}
{% macro pulse_received_after(relation) %}
    {%- set newest_seen = pulse_newest(relation, 'updated_at') if relation is not none else none -%}
    {%- if newest_seen is none -%}
        {{ return('cast(null as ' ~ pulse_type_timestamptz() ~ ')') }}
    {%- endif -%}
    {{ return(dbt.dateadd(
        'minute',
        -1 * var('pulse__late_arrival_minutes'),
        pulse_timestamp_literal(newest_seen),
    )) }}
{% endmacro %}

{#- The newest value of a timestamp column of a relation, as a SQL literal the planner
    can match against an index; the year 1 when the relation is empty. -#}
{% macro pulse_latest_moment(relation, column) %}
    {%- set newest = pulse_newest(relation, column) -%}
    {{ return(pulse_timestamp_literal(newest or modules.datetime.datetime(1, 1, 1, tzinfo=modules.pytz.utc))) }}
{% endmacro %}
