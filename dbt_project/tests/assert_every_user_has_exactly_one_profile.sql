-- Every user in app.users has exactly one profile in user_activity, and so exactly one
-- segment: user_segment evaluates the rules once per profile, and joins at most one
-- override per player (unique_stg_app__segment_overrides_user_id). Checked on the
-- profiles rather than the rules' view, so it runs beside user_activity's other tests
-- instead of before the rows to publish. The totals must match on every run; user by
-- user, it checks the users written since the previous run (the others were checked
-- then).
with

users as (

    select * from {{ ref('stg_app__users') }}

),

user_activity as (

    select * from {{ ref('user_activity') }}

),

checked_users as (

    select users.user_id
    from users
    where users.updated_at > {{ pulse_recent_arrivals() }}

),

profile_rows_per_user as (

    select
        checked_users.user_id,
        count(user_activity.user_id) as profile_rows

    from checked_users
    left join user_activity
        on checked_users.user_id = user_activity.user_id
    group by checked_users.user_id

),

totals as (

    -- the relations themselves, not the CTEs: PostgreSQL materializes a CTE read
    -- twice, and `users` would copy 1M rows before counting them
    select
        (select count(*) from {{ ref('stg_app__users') }}) as user_rows,
        (select count(*) from {{ ref('user_activity') }}) as profile_rows

)

select
    profile_rows_per_user.user_id,
    profile_rows_per_user.profile_rows
from profile_rows_per_user
where profile_rows_per_user.profile_rows <> 1

union all

select
    cast(null as {{ dbt.type_bigint() }}) as user_id,
    totals.profile_rows - totals.user_rows as profile_rows
from totals
where totals.profile_rows <> totals.user_rows
