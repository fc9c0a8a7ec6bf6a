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

{#- The materialization of user_segment. On PostgreSQL a view: it reads the stored
    rows and the latest run record, which change in one transaction. Spark's results
    are loaded back into PostgreSQL from their Parquet files, so there it is a table. -#}
{% macro pulse_published_materialization() -%}
    {{ return(adapter.dispatch('pulse_published_materialization', 'pulse')()) }}
{%- endmacro %}

{% macro default__pulse_published_materialization() -%}
    {{ return('view') }}
{%- endmacro %}

{% macro spark__pulse_published_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
