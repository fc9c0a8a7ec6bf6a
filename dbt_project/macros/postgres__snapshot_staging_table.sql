{#- dbt's snapshot compares its query's rows with the open versions of the history in a
    CTE that PostgreSQL materializes: every open version (one per player, 1M rows) is
    copied to compare the few thousand players whose segment a run changed. Pulse's snapshot
    ignores hard deletes (a player missing from the query keeps its version), so only
    the open versions of the query's keys can change: dbt's own staging SQL is given
    those versions alone, read through the history's index of open versions from the
    keys (as an array: without statistics on the freshly written marts, a semi-join
    was planned as a scan of every open version probing user_activity once per
    version, 0.55 s). Any other snapshot configuration gets dbt's SQL unchanged. -#}
{% macro postgres__snapshot_staging_table(strategy, source_sql, target_relation) -%}
    {%- if not pulse_snapshot_closes_by_key() -%}
        {{ return(dbt.default__snapshot_staging_table(strategy, source_sql, target_relation)) }}
    {%- endif -%}
    {%- set versions_of_query_keys -%}
        (
            select history.*
            from {{ target_relation }} as history
            where {{ pulse_in_user_ids(
                'history.' ~ strategy.unique_key,
                'select snapshot_keys.' ~ strategy.unique_key
                ~ ' from (' ~ source_sql ~ ') as snapshot_keys',
            ) }}
        ) as versions_of_query_keys
    {%- endset -%}
    {{ return(dbt.default__snapshot_staging_table(strategy, source_sql, versions_of_query_keys)) }}
{%- endmacro %}
