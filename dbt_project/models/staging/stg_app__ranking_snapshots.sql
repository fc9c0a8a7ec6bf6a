with

source as (

    select * from {{ source('app', 'ranking_snapshots') }}

),

renamed as (

    select
        id as ranking_snapshot_id,
        user_id,
        deposit_amount,
        updated_at,
        received_at

    from source

)

select * from renamed
