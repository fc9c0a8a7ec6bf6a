-- Every user in app.users has exactly one row in user_segment.
with

users as (

    select * from {{ ref('stg_app__users') }}

),

user_segment as (

    select * from {{ ref('user_segment') }}

),

segment_rows_per_user as (

    select
        users.user_id,
        count(user_segment.user_id) as segment_rows

    from users
    left join user_segment
        on users.user_id = user_segment.user_id
    group by users.user_id

)

select * from segment_rows_per_user
where segment_rows <> 1
