{#- A post-hook of the incremental table (and a step of the publish, for the history
    and the change feed): gives the planner statistics on a table
    this run created (a full build, or the publish's first run), in the same
    transaction, so the next run plans with them. Until autovacuum gets to a new
    table (never, where it is off) the planner has none and guesses: the first
    incremental run after a full build then scanned the 1M-row history to close a
    few thousand versions and hashed every user to check a few.

    `latest_run_column` is the column by which each run reads the rows it wrote
    (evaluated_at, dbt_valid_from, changed_at). Its statistics are switched off:
    they describe the past runs (after a full build, one value for every row), so
    the planner would expect the latest run's rows to be the whole table and scan
    it; without them it assumes a small share, which is what each run writes. The
    setting stays with the table, for autovacuum's later analyzes too. -#}
{% macro pulse_analyze_new_table(latest_run_column) -%}
    {{ return(adapter.dispatch('pulse_analyze_new_table', 'pulse')(this, latest_run_column)) }}
{%- endmacro %}

{#- Spark keeps no planner statistics of this kind: nothing to do. -#}
{% macro default__pulse_analyze_new_table(relation, latest_run_column) -%}
{%- endmacro %}

{#- "Created by this run" is "has no statistics yet": an incremental run leaves the
    statistics of the first one (autovacuum refreshes them where it runs). -#}
{% macro postgres__pulse_analyze_new_table(relation, latest_run_column) -%}
    do $pulse_analyze$
    begin
        if not exists (
            select from pg_catalog.pg_stats
            where schemaname = '{{ relation.schema }}' and tablename = '{{ relation.identifier }}'
        ) then
            alter table {{ relation }} alter column {{ latest_run_column }} set statistics 0;
            analyze {{ relation }};
        end if;
    end
    $pulse_analyze$
{%- endmacro %}
