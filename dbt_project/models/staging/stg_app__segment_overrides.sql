with

source as (

    select * from {{ source('app', 'segment_overrides') }}

),

renamed as (

    select
        user_id,
        segment,
        reason as override_reason,
        expires_at,
        created_by,
        created_at

    from source

)

select * from renamed
