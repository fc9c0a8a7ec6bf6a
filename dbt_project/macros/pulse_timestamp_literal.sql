{#- A moment (a Python datetime) as a SQL timestamp-with-time-zone literal, in UTC.
    Every moment the models compare with is written this way: a literal lets the
    planner match it against an index, where a subquery's value would be a guess. -#}
{% macro pulse_timestamp_literal(moment) -%}
    {#- isoformat, not strftime: it writes the year with four digits (the year 1 too) -#}
    {%- set utc_text = moment.astimezone(modules.pytz.utc).isoformat(sep=' ', timespec='microseconds') -%}
    {{ return("cast('" ~ utc_text ~ "' as " ~ pulse_type_timestamptz() ~ ")") }}
{%- endmacro %}

{#- The largest value of a timestamp column of a relation, as a Python datetime; none
    when the relation is empty or while parsing (no query runs then). -#}
{% macro pulse_newest(relation, column) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(run_query('select max(' ~ column ~ ') from ' ~ relation).columns[0].values()[0]) }}
{%- endmacro %}
