{{
    config(
        materialized='table',
        indexes=[
            {'columns': ['user_id'], 'unique': true},
            {'columns': ['segment', 'user_id']},
        ],
        post_hook=['analyze {{ this }}'],
    )
}}

{#- What the run publishes: the players whose row in user_segment (every player,
    evaluated at this run's as_of) differs from their published row, and the players
    without one. Every player's rules are evaluated on every run; only the rows that
    moved are written, tested and published (docs/decisions/publish-gate.md). The
    columns are the published rows' (the run's as_of and computed_at are the
    publication's, not compared: they move every run) and is_removed: a published player
    no longer in user_segment (only user_id set), whose published row the publish
    deletes. The publish also appends, from these rows, the transitions of the history
    and the change feed (macros/pulse_publish.sql).

    Every row is new when nothing comparable is published: before the first publish and
    when the published rows have other columns. The publish then moves this table into
    the place of the published rows, indexes included. After a replay (whose rows the
    history does not know) every player is an update too, and removed players are still
    found by the join.

    Analyzed at once (the post-hook), so the publish plans for the rows a run writes. -#}
{%- set published = pulse_published_members() -%}
{%- set only_moved = published and not pulse_published_replay(published) -%}
{%- set compared_columns = pulse_member_columns() | reject('equalto', 'user_id') | list -%}

with

user_segment as (

    select * from {{ ref('user_segment') }}

),

{% if published -%}
published_members as (

    select * from {{ published }}

),
{% endif %}

publishable as (

    select
        {% if published -%}
        coalesce(user_segment.user_id, published_members.user_id) as user_id,
        {%- else -%}
        user_segment.user_id,
        {%- endif %}
        {% for column in compared_columns -%}
        user_segment.{{ column }},
        {% endfor -%}
        user_segment.user_id is null as is_removed

    from user_segment
    {% if published -%}
    -- one pass over both sides: new and changed players, and removed ones
    full outer join published_members
        on user_segment.user_id = published_members.user_id
    {% if only_moved -%}
    where
        user_segment.user_id is null
        or published_members.user_id is null
        or (
            {%- for column in compared_columns %}
            user_segment.{{ column }}{{ ',' if not loop.last }}
            {%- endfor %}
        ) is distinct from (
            {%- for column in compared_columns %}
            published_members.{{ column }}{{ ',' if not loop.last }}
            {%- endfor %}
        )
    {%- endif %}
    {%- endif %}

)

select * from publishable
