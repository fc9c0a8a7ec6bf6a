{#- Makes the Parquet lake the `app` sources on Spark (an on-run-start hook).

    The lake export writes each raw table to `<PULSE_LAKE_DIR>/<table>/<date column>=<day>/`.
    This registers each folder as an external table `lake.<table>` (its partitions
    re-read every run, so newly exported days are seen) and a view `app.<table>`
    with exactly the columns of the PostgreSQL table, so the staging models select
    from `source('app', ...)` unchanged. `app.users` keeps each user's newest
    exported version: the export appends a new version whenever a user row changes.
    On PostgreSQL the sources are the tables themselves: nothing to do. -#}
{% macro pulse_register_lake() %}
    {{ return(adapter.dispatch('pulse_register_lake', 'pulse')()) }}
{% endmacro %}

{% macro default__pulse_register_lake() %}
    {{ return('') }}
{% endmacro %}

{% macro spark__pulse_register_lake() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set lake = env_var('PULSE_LAKE_DIR') | trim -%}
    {%- if '://' not in lake -%}
        {%- set lake = 'file://' ~ lake -%}
    {%- endif -%}
    {%- set lake_tables = [
        {
            'name': 'activity_events',
            'columns': 'event_id string, user_id int, event_type string, occurred_at timestamp, '
                ~ 'received_at timestamp, play_duration_seconds int',
            'partition': 'received_date',
            'view': 'select event_id, user_id, event_type, occurred_at, received_at, '
                ~ 'play_duration_seconds from lake.activity_events',
        },
        {
            'name': 'ranking_snapshots',
            'columns': 'id bigint, user_id int, deposit_amount decimal(18, 2), '
                ~ 'updated_at timestamp, received_at timestamp',
            'partition': 'received_date',
            'view': 'select id, user_id, deposit_amount, updated_at, received_at '
                ~ 'from lake.ranking_snapshots',
        },
        {
            'name': 'users',
            'columns': 'id int, created_at timestamp, last_login_at timestamp, updated_at timestamp',
            'partition': 'updated_date',
            'view': 'select id, created_at, last_login_at, updated_at from ('
                ~ 'select *, row_number() over (partition by id order by updated_at desc) '
                ~ 'as version_rank from lake.users) as versions where version_rank = 1',
        },
        {
            'name': 'segment_overrides',
            'columns': 'user_id int, segment string, reason string, expires_at timestamp, '
                ~ 'created_by string, created_at timestamp',
            'partition': 'created_date',
            'view': 'select user_id, segment, reason, expires_at, created_by, created_at '
                ~ 'from lake.segment_overrides',
        },
    ] -%}
    {%- do run_query('create database if not exists lake') -%}
    {%- do run_query('create database if not exists app') -%}
    {%- for table in lake_tables -%}
        {%- do run_query('drop table if exists lake.' ~ table.name) -%}
        {%- do run_query(
            'create table lake.' ~ table.name ~ ' (' ~ table.columns ~ ', '
            ~ table.partition ~ ' string) using parquet partitioned by (' ~ table.partition
            ~ ") location '" ~ lake ~ '/' ~ table.name ~ "'"
        ) -%}
        {%- do run_query('msck repair table lake.' ~ table.name) -%}
        {%- do run_query('create or replace view app.' ~ table.name ~ ' as ' ~ table.view) -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}
