{#- The source is the players whose segment or rule differs from their open version
    (and players without one): every run rebuilds user_segment whole, and comparing the
    others again could only find no change. A player missing from the source keeps its
    open version (hard deletes are ignored). The history's partial unique index holds
    one open version per player, so the anti-join reads each once. -#}
{% snapshot user_segment_history %}

{%- set history = adapter.get_relation(
    database=this.database, schema=this.schema, identifier=this.identifier
) if execute else none %}

select
    published.user_id,
    published.segment,
    published.rule,
    published.matched_segments,
    published.last_active_at,
    published.deposit_30d,
    published.created_at,
    published.as_of,
    published.computed_at,
    published.override_reason,
    published.override_expires_at

from {{ ref('user_segment') }} as published
{%- if history is not none %}
left join {{ history }} as open_version
    on
        published.user_id = open_version.user_id
        and open_version.dbt_valid_to is null
where
    open_version.user_id is null
    or published.segment <> open_version.segment
    or published.rule <> open_version.rule
{%- endif %}

{% endsnapshot %}
