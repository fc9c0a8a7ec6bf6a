{#- dbt's full-refresh decision (the --full-refresh flag, or a model's full_refresh
    config), plus one case of Pulse's: a model with
    meta.pulse_rebuild_when_rules_change (user_activity) is rebuilt when its rows carry
    another rules_version than its SQL and thresholds give now. An incremental run
    would re-evaluate every row anyway and rewrite all of them (measured with
    delete+insert: 30 to 37 s at 1M players, about three full builds, and 1M dead
    rows); a rebuild takes a full build's time. -#}
{% macro should_full_refresh() -%}
    {{ return(dbt.should_full_refresh() or pulse_rules_changed()) }}
{%- endmacro %}

{#- Whether the existing table's rows were evaluated under other rules. Every run
    re-evaluates the rows of another version, so after any successful run all rows
    carry one version: one row tells. -#}
{% macro pulse_rules_changed() -%}
    {%- set meta = config.get('meta') or {} -%}
    {%- if not execute or not meta.get('pulse_rebuild_when_rules_change') -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set existing = adapter.get_relation(
        database=this.database, schema=this.schema, identifier=this.identifier
    ) -%}
    {%- if existing is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set stored = run_query('select rules_version from ' ~ existing ~ ' limit 1') -%}
    {%- if stored.rows | length == 0 -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(stored.rows[0][0] != pulse_rules_version()) }}
{%- endmacro %}
