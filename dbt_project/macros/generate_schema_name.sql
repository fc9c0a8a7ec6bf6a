{#- A model's schema is its custom schema as written (staging, analytics, ...),
    never dbt's default "<target schema>_<custom>", optionally prefixed by
    var pulse__schema_prefix so a dry run builds beside the published tables. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set prefix = var('pulse__schema_prefix', '') -%}
    {%- if custom_schema_name is none -%}
        {{ prefix }}{{ target.schema | trim }}
    {%- else -%}
        {{ prefix }}{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
