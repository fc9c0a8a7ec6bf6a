{#- The type of an absolute moment: timestamptz on PostgreSQL, timestamp on
    engines whose timestamp is already an instant (Spark, with the session time zone UTC). -#}
{% macro pulse_type_timestamptz() -%}
    {{ return(adapter.dispatch('pulse_type_timestamptz', 'pulse')()) }}
{%- endmacro %}

{% macro default__pulse_type_timestamptz() -%}
    timestamp
{%- endmacro %}

{% macro postgres__pulse_type_timestamptz() -%}
    timestamp with time zone
{%- endmacro %}
