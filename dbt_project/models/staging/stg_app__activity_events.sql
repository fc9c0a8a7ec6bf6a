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

ranked as (

    -- defensive dedupe: a replayed event_id counts once (its first arrival);
    -- partitioned by user_id too, so filters on user_id reach the table's index
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

select * from deduplicated
