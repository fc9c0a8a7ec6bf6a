{#- dbt's `where` test config, plus two placeholders:
    - `__pulse_recent_arrivals__` becomes the moment from which this run reads new data
      (pulse_recent_arrivals). Tests on the raw tables use it to check what the run
      consumes (through the received_at / updated_at indexes) instead of re-reading
      20M events on every run; the tables' keys and check constraints already hold
      for older rows, and earlier runs tested them.
    - `pulse_latest(column)` becomes `column = (select max(column) from <the model>)`:
      tests on an incremental mart check the rows its latest run wrote (every row
      after a full build); the unique indexes keep older rows from colliding. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- if '__pulse_recent_arrivals__' in where -%}
            {%- set where = where | replace('__pulse_recent_arrivals__', pulse_recent_arrivals()) -%}
        {%- endif -%}
        {%- set where = modules.re.sub(
            'pulse_latest\\((\\w+)\\)',
            '\\1 = (select max(\\1) from ' ~ relation ~ ')',
            where,
        ) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) as dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}


{#- Where the data a run consumes starts, as a SQL literal: the start of the published
    run (its computed_at, in analytics.segment_publication; every run publishes after
    the raw tables' tests) minus var pulse__late_arrival_minutes (what an incremental run
    reads again); on a full build, or before any publish, as_of minus var
    pulse__test_lookback_days. -#}
{% macro pulse_recent_arrivals() -%}
    {%- set lookback = dbt.dateadd('day', -1 * var('pulse__test_lookback_days'), pulse_as_of()) -%}
    {%- if flags.FULL_REFRESH or not execute -%}
        {{ return(lookback) }}
    {%- endif -%}
    {%- set publication = adapter.get_relation(
        database=target.database,
        schema=generate_schema_name('analytics', none),
        identifier='segment_publication',
    ) -%}
    {%- if publication is none -%}
        {{ return(lookback) }}
    {%- endif -%}
    {%- set rows = run_query('select computed_at from ' ~ publication).rows -%}
    {%- set latest = rows[0][0] if rows | length > 0 else none -%}
    {%- if latest is none -%}
        {{ return(lookback) }}
    {%- endif -%}
    {{ return(dbt.dateadd(
        'minute', -1 * var('pulse__late_arrival_minutes'), pulse_timestamp_literal(latest)
    )) }}
{%- endmacro %}
