with

source as (

    select * from {{ source('app', 'users') }}

),

renamed as (

    select
        id as user_id,
        created_at,
        last_login_at,
        updated_at

    from source

)

select * from renamed
