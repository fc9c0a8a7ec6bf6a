{#- The materialization of a model that is incremental on PostgreSQL. Spark's
    Parquet tables have no `delete+insert` (nor `merge` without Delta or Iceberg),
    and `insert_overwrite` would rewrite whole partitions anyway: on Spark such a
    model is rebuilt as a table from the lake on every run. -#}
{% macro pulse_incremental_materialization() -%}
    {{ return(adapter.dispatch('pulse_incremental_materialization', 'pulse')()) }}
{%- endmacro %}

{% macro default__pulse_incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__pulse_incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
