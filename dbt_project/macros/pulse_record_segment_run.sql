{#- The run log kept beside the relation of user_activity. -#}
{% macro pulse_segment_runs_of(relation) -%}
    {{ return(api.Relation.create(
        database=relation.database, schema=relation.schema, identifier='user_segment_runs'
    )) }}
{%- endmacro %}

{#- The post-hook of user_activity: appends the run (as_of, computed_at,
    users evaluated) to user_segment_runs beside it, inside the model's transaction,
    so user_segment's rows and its as_of / computed_at labels change together. The
    table is a log kept across full refreshes: operators read it to see each run. -#}
{% macro pulse_record_segment_run() -%}
    insert into {{ pulse_segment_runs_of(this) }} (as_of, computed_at, users_evaluated)
    select
        {{ pulse_as_of() }},
        {{ pulse_run_started_at() }},
        count(*)
    from {{ this }}
    where evaluated_at = {{ pulse_run_started_at() }}
{%- endmacro %}

{#- One statement per hook: Spark runs a single statement at a time. -#}
{% macro pulse_create_segment_runs() -%}
    {{ return(adapter.dispatch('pulse_create_segment_runs', 'pulse')(pulse_segment_runs_of(this))) }}
{%- endmacro %}

{% macro default__pulse_create_segment_runs(relation) -%}
    create table if not exists {{ relation }} (
        as_of {{ pulse_type_timestamptz() }},
        computed_at {{ pulse_type_timestamptz() }},
        users_evaluated {{ dbt.type_bigint() }}
    ) using parquet
{%- endmacro %}

{% macro postgres__pulse_create_segment_runs(relation) -%}
    create table if not exists {{ relation }} (
        as_of timestamp with time zone not null,
        computed_at timestamp with time zone not null,
        users_evaluated bigint not null
    );
    create index if not exists user_segment_runs_computed_at_idx on {{ relation }} (computed_at)
{%- endmacro %}
