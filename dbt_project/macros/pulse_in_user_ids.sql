{#- `<column> in (<subquery>)`, written so the planner can push it through views
    that use window functions (staging dedupe, snapshot increments).

    PostgreSQL treats `= any(array(select ...))` as a plain filter with a
    precomputed parameter and pushes it into a view partitioned by the same
    column, so an incremental run reads only the chosen users' rows through
    their index; a semi-join would compute the window over every row first. -#}
{% macro pulse_in_user_ids(column, subquery) -%}
    {{ return(adapter.dispatch('pulse_in_user_ids', 'pulse')(column, subquery)) }}
{%- endmacro %}

{% macro default__pulse_in_user_ids(column, subquery) -%}
    {{ column }} in ({{ subquery }})
{%- endmacro %}

{% macro postgres__pulse_in_user_ids(column, subquery) -%}
    {{ column }} = any(array({{ subquery }}))
{%- endmacro %}
