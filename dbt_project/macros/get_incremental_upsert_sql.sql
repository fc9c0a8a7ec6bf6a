{#- The `upsert` incremental strategy: `insert ... on conflict (key) do update`, for a
    model with one unique key column that a unique index backs (user_activity's
    `indexes` config). Each new row finds its old version through that index and
    replaces it in one pass, in key order, so the indexes take the new entries page
    by page: cheaper than dbt's delete+insert (a delete through the index, then an
    insert) or MERGE, which joins the whole table (figures in docs/benchmarks.md). -#}
{% macro get_incremental_upsert_sql(arg_dict) -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- if unique_key is not string or arg_dict['incremental_predicates'] -%}
        {{ exceptions.raise_compiler_error(
            'the upsert strategy takes one unique_key column and no incremental_predicates'
        ) }}
    {%- endif -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='name') | list -%}
    insert into {{ arg_dict['target_relation'] }} ({{ get_quoted_csv(columns) }})
    select {{ get_quoted_csv(columns) }}
    from {{ arg_dict['temp_relation'] }}
    order by {{ adapter.quote(unique_key) }}
    on conflict ({{ adapter.quote(unique_key) }}) do update set
    {%- for column in columns if column != unique_key %}
        {{ adapter.quote(column) }} = excluded.{{ adapter.quote(column) }}
        {{- "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
