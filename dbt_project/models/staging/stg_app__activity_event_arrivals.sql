-- Who received events when, one row per stored row (no dedupe): what incremental
-- runs scan for new arrivals. Kept apart from stg_app__activity_events, whose
-- dedupe window would make PostgreSQL sort every event before filtering on
-- received_at; this view reaches the received_at index directly.
with

source as (

    select * from {{ source('app', 'activity_events') }}

),

arrivals as (

    select
        user_id,
        received_at

    from source

)

select * from arrivals
