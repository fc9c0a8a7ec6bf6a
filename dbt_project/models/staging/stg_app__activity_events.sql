{#- Defensive dedupe on event_id. Where the database guarantees one row per
    event_id (PostgreSQL's primary key, checked on every run) the window is
    skipped: it would sort every event on one core and hide the indexes from
    downstream filters. Anywhere else (no such key, other engines) replays are
    removed here.

    Written without CTEs, against the house style (like
    int_ranking_snapshots_incremented): PostgreSQL inlines a view into the query
    that reads it only when the view has no WITH clause. Planned apart, the view
    hid from user_activity that the (user_id, occurred_at) index returns a user's
    events together, and an incremental run sorted the 1M events of the users it
    recomputes before aggregating them. -#}
{#- the table's unique key already keeps one row per event_id; elsewhere a replayed
    event_id counts once (its first arrival), partitioned by user_id too so filters
    on user_id still reach the table's index -#}
{%- set arrival_number = '1' -%}
{%- if not pulse_has_unique_key(source('app', 'activity_events'), 'event_id') -%}
{%- set arrival_number = 'row_number() over '
    ~ '(partition by user_id, event_id order by received_at)' -%}
{%- endif -%}

select
    renamed.event_id,
    renamed.user_id,
    renamed.event_type,
    renamed.occurred_at,
    renamed.received_at,
    renamed.play_duration_seconds

from (

    select
        event_id,
        user_id,
        event_type,
        -- a client clock running ahead cannot date an event after the service stored it
        least(occurred_at, received_at) as occurred_at,
        received_at,
        play_duration_seconds,
        {{ arrival_number }} as arrival_number

    from {{ source('app', 'activity_events') }}

) as renamed

where renamed.arrival_number = 1
