{#- dbt's relationships test left-joins the child rows to every parent row, which
    PostgreSQL runs as a hash join over the whole parent: costly for the few rows an
    incremental run wrote, while probing the parent's index per child row is costly for
    a full build's many. The planner cannot tell the two apart: the tests read "the
    latest run's rows", which it estimates without statistics
    (macros/pulse_analyze_new_table.sql).

    So the test counts its child rows first, up to pulse_relationships_probe_limit (a
    bounded count), and probes only below that (figures in docs/benchmarks.md). Both
    forms return the same rows: the child values with no parent. -#}
{% macro postgres__test_relationships(model, column_name, to, field) %}
    {%- if not execute or pulse_child_rows_exceed(model, column_name) -%}
        {{ return(dbt.default__test_relationships(model, column_name, to, field)) }}
    {%- endif -%}

select child.from_field

from (
    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
) as child
-- LIMIT keeps the lateral subquery from being turned into a join: one index probe
-- per child row
left join lateral (
    select 1 as found
    from (select {{ field }} as to_field from {{ to }}) as parent
    where parent.to_field = child.from_field
    limit 1
) as parent_row on true

where parent_row.found is null

{% endmacro %}

{#- Whether the test's child rows (non-null values) are more than
    var pulse__relationships_probe_limit; counts no further than that. -#}
{% macro pulse_child_rows_exceed(model, column_name) -%}
    {%- set limit = var('pulse__relationships_probe_limit') | int -%}
    {%- set counted = run_query(
        'select count(*) from (select 1 from ' ~ model ~ ' where ' ~ column_name
        ~ ' is not null limit ' ~ (limit + 1) ~ ') as child_rows'
    ) -%}
    {{ return(counted.columns[0].values()[0] > limit) }}
{%- endmacro %}
