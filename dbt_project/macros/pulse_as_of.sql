{#- The run's reference time as a Python datetime in UTC: var pulse__as_of, else the
    environment variable PULSE_AS_OF, else the run's start. A moment after the run's
    start is refused: its data does not exist yet.

    The orchestration passes as_of through PULSE_AS_OF, read only while running (never
    while parsing): dbt re-parses the whole project whenever `--vars` change, and every
    file that read an environment variable while parsing when that variable changes.
    as_of changes on every scheduled run; this way the runs keep dbt's partial parse. -#}
{% macro pulse_as_of_datetime() %}
    {%- set text = (var('pulse__as_of', none) or '') | string | trim -%}
    {%- if text == '' and execute -%}
        {%- set text = env_var('PULSE_AS_OF', '') | trim -%}
    {%- endif -%}
    {%- if text == '' -%}
        {{ return(run_started_at.astimezone(modules.pytz.utc)) }}
    {%- endif -%}
    {%- set text = text | replace('Z', '+00:00') -%}
    {%- set parsed = modules.datetime.datetime.fromisoformat(text) -%}
    {%- if parsed.tzinfo is none -%}
        {%- set parsed = modules.pytz.utc.localize(parsed) -%}
    {%- endif -%}
    {%- set parsed = parsed.astimezone(modules.pytz.utc) -%}
    {%- if parsed > run_started_at.astimezone(modules.pytz.utc) -%}
        {{ exceptions.raise_compiler_error(
            "pulse__as_of " ~ parsed.isoformat() ~ " is after the run's start "
            ~ run_started_at.isoformat() ~ ": segments can only be evaluated at a moment that has happened"
        ) }}
    {%- endif -%}
    {{ return(parsed) }}
{% endmacro %}

{#- The run's reference time as a SQL timestamp-with-time-zone literal. -#}
{% macro pulse_as_of() -%}
    {{ pulse_timestamp_literal(pulse_as_of_datetime()) }}
{%- endmacro %}

{#- When the run started, as a SQL timestamp-with-time-zone literal. -#}
{% macro pulse_run_started_at() -%}
    {{ pulse_timestamp_literal(run_started_at) }}
{%- endmacro %}
