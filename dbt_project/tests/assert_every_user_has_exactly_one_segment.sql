-- Every user in app.users has exactly one row in user_segment, the rules' evaluation
-- that the run publishes from. The totals must match on every run; user by user, it
-- checks the users written since the previous run (the others were checked then).
with

users as (

    select * from {{ ref('stg_app__users') }}

),

user_segment as (

    select * from {{ ref('user_segment') }}

),

checked_users as (

    select users.user_id
    from users
    where users.updated_at > {{ pulse_recent_arrivals() }}

),

segment_rows_per_user as (

    select
        checked_users.user_id,
        count(user_segment.user_id) as segment_rows

    from checked_users
    left join user_segment
        on checked_users.user_id = user_segment.user_id
    group by checked_users.user_id

),

totals as (

    -- the relations themselves, not the CTEs: PostgreSQL materializes a CTE read
    -- twice, and `users` would copy 1M rows before counting them
    select
        (select count(*) from {{ ref('stg_app__users') }}) as user_rows,
        (select count(*) from {{ ref('user_segment') }}) as segment_rows

)

select
    segment_rows_per_user.user_id,
    segment_rows_per_user.segment_rows
from segment_rows_per_user
where segment_rows_per_user.segment_rows <> 1

union all

select
    cast(null as {{ dbt.type_bigint() }}) as user_id,
    totals.segment_rows - totals.user_rows as segment_rows
from totals
where totals.segment_rows <> totals.user_rows
