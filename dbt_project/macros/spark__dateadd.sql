{#- dbt-spark's dateadd goes through whole seconds (unix timestamps): it drops the
    microseconds PostgreSQL keeps, so a moment one day later would differ between
    engines. timestampadd keeps every digit. Overrides dbt's Spark implementation. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}
