{#- dbt's snapshot merge closes each changed version by its dbt_scd_id, which needs an
    index on that random 32-character hash: every run added its new versions on random
    pages of it (two entries per changed player, as a closed version gets a new row),
    and building it took about 1 s of the history's first run at 1M players. Pulse's
    snapshot ignores hard deletes, so a key has at most one open version and that is
    the one to close: found through the history's index of open versions (user_id,
    where dbt_valid_to is null: snapshots/_snapshots.yml) from the changed keys
    (`= any(array(...))`, as in postgres__snapshot_staging_table). The new versions
    are inserted as dbt does. Any other snapshot configuration gets
    dbt's SQL unchanged. -#}
{% macro postgres__snapshot_merge_sql(target, source, insert_cols) -%}
    {%- if not pulse_snapshot_closes_by_key() -%}
        {{ return(dbt.postgres__snapshot_merge_sql(target, source, insert_cols)) }}
    {%- endif -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- set columns = config.get('snapshot_table_column_names') or get_snapshot_table_column_names() -%}
    {%- set changed_keys -%}
        select changed.{{ unique_key }}
        from {{ source }} as changed
        where changed.dbt_change_type::text = 'update'::text
    {%- endset -%}

    update {{ target }}
    set {{ columns.dbt_valid_to }} = DBT_INTERNAL_SOURCE.{{ columns.dbt_valid_to }}
    from {{ source }} as DBT_INTERNAL_SOURCE
    where {{ pulse_in_user_ids(target ~ '.' ~ unique_key, changed_keys) }}
      and DBT_INTERNAL_SOURCE.{{ unique_key }} = {{ target }}.{{ unique_key }}
      and DBT_INTERNAL_SOURCE.dbt_change_type::text = 'update'::text
      and {{ target }}.{{ columns.dbt_valid_to }} is null;

    insert into {{ target }} ({{ insert_cols | join(', ') }})
    select {% for column in insert_cols -%}
        DBT_INTERNAL_SOURCE.{{ column }} {%- if not loop.last %}, {%- endif %}
    {%- endfor %}
    from {{ source }} as DBT_INTERNAL_SOURCE
    where DBT_INTERNAL_SOURCE.dbt_change_type::text = 'insert'::text;
{%- endmacro %}
