{#- Whether the database itself guarantees one row per value of `column` in
    `relation` (a unique index on exactly that column). Checked when the model
    compiles, i.e. on every run, since staging views are rebuilt each run.
    Engines without such guarantees (and parse time) answer false. -#}
{% macro pulse_has_unique_key(relation, column) %}
    {{ return(adapter.dispatch('pulse_has_unique_key', 'pulse')(relation, column)) }}
{% endmacro %}

{% macro default__pulse_has_unique_key(relation, column) %}
    {{ return(false) }}
{% endmacro %}

{% macro postgres__pulse_has_unique_key(relation, column) %}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set unique_index_query -%}
        select count(*)
        from pg_index as indexes
        inner join pg_attribute as attributes
            on attributes.attrelid = indexes.indrelid
            and attributes.attnum = indexes.indkey[0]
        where
            indexes.indrelid = to_regclass('{{ adapter.quote(relation.schema) }}.{{ adapter.quote(relation.identifier) }}')
            and indexes.indisunique
            and indexes.indpred is null
            and indexes.indnkeyatts = 1
            and attributes.attname = '{{ column }}'
    {%- endset -%}
    {{ return(run_query(unique_index_query).columns[0].values()[0] > 0) }}
{% endmacro %}
