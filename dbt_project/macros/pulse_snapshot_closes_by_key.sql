{#- Whether the snapshot has the shape Pulse's snapshot SQL relies on
    (postgres__snapshot_staging_table, postgres__snapshot_merge_sql): one key column,
    hard deletes ignored (dbt's own reading of hard_deletes and the older
    invalidate_hard_deletes) and open versions marked by a null dbt_valid_to. Then a
    key has at most one open version, and only the keys the query returns can change. -#}
{% macro pulse_snapshot_closes_by_key() -%}
    {{ return(
        config.get('unique_key') is string
        and adapter.get_hard_deletes_behavior(config) == 'ignore'
        and not config.get('dbt_valid_to_current')
    ) }}
{%- endmacro %}
