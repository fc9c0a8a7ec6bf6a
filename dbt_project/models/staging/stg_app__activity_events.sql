{#- Defensive dedupe on event_id. Where the database guarantees one row per
    event_id (PostgreSQL's primary key, checked on every run) the window is
    skipped: it would sort every event on one core and hide the indexes from
    downstream filters. Anywhere else (no such key, other engines) replays are
    removed here. -#}
{%- set event_id_is_unique = pulse_has_unique_key(source('app', 'activity_events'), 'event_id') -%}

with

source as (

    select * from {{ source('app', 'activity_events') }}

),

renamed as (

    select
        event_id,
        user_id,
        event_type,
        -- a client clock running ahead cannot date an event after the service stored it
        least(occurred_at, received_at) as occurred_at,
        received_at,
        play_duration_seconds

    from source

),

{% if event_id_is_unique %}

deduplicated as (

    -- the table's unique key already keeps one row per event_id
    select * from renamed

)

{% else %}

ranked as (

    -- a replayed event_id counts once (its first arrival); partitioned by user_id
    -- too, so filters on user_id still reach the table's index
    select
        *,
        row_number() over (
            partition by user_id, event_id
            order by received_at
        ) as arrival_number

    from renamed

),

deduplicated as (

    select
        event_id,
        user_id,
        event_type,
        occurred_at,
        received_at,
        play_duration_seconds

    from ranked
    where arrival_number = 1

)

{% endif %}

select * from deduplicated
