{#- dbt's `where` test config, plus one placeholder: `__pulse_recent_arrivals__`
    becomes as_of minus var pulse__test_lookback_days. Tests on the 20M-row event
    log use it to check what recent runs consumed (through the received_at index)
    instead of re-reading every event on every run; the table's primary key and
    check constraints already hold for older rows. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- if '__pulse_recent_arrivals__' in where -%}
            {%- set recent = dbt.dateadd('day', -1 * var('pulse__test_lookback_days'), pulse_as_of()) -%}
            {%- set where = where | replace('__pulse_recent_arrivals__', recent) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) as dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}
