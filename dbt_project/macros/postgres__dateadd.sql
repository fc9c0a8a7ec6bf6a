{#- dbt's PostgreSQL dateadd adds `interval '1 day' * n`. Added to a timestamp with time
    zone, days go through the session's time zone on every row (around a daylight-saving
    change a day is 23 or 25 hours). dbt's sessions run in UTC (ingest/dbt_env.py),
    where a day is exactly 24 hours, and adding hours is plain arithmetic: the segment
    rules' full build went from 6.9 s to 4.7 s, with identical rows. Other date parts
    keep dbt's SQL. Overrides dbt's PostgreSQL implementation. -#}
{% macro postgres__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- if datepart == 'day' -%}
        {{ from_date_or_timestamp }} + ((interval '24 hours') * ({{ interval }}))
    {%- else -%}
        {{ dbt.postgres__dateadd(datepart, interval, from_date_or_timestamp) }}
    {%- endif -%}
{%- endmacro %}
