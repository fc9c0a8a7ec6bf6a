{#- A hash of the calling model's SQL and the segment thresholds: any edit of the model
    that holds the rules (user_activity) or of a threshold changes it, and the next run
    re-evaluates every user whose row carries another version. -#}
{% macro pulse_rules_version() -%}
    {%- set thresholds = [
        var('pulse__vip_min_deposit_30d'),
        var('pulse__vip_window_days'),
        var('pulse__dormant_long_days'),
        var('pulse__dormant_short_days'),
        var('pulse__new_user_days'),
    ] -%}
    {{ return(local_md5(model.raw_code ~ '|' ~ (thresholds | join('|')))) }}
{%- endmacro %}
