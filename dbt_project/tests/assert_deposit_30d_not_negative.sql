-- Increments are clamped at 0, so no 30-day deposit sum can be negative.
with

user_activity as (

    select * from {{ ref('user_activity') }}

),

user_segment as (

    select * from {{ ref('user_segment') }}

)

select
    user_activity.user_id,
    user_activity.deposit_30d
from user_activity
where user_activity.deposit_30d < 0

union all

select
    user_segment.user_id,
    user_segment.deposit_30d
from user_segment
where user_segment.deposit_30d < 0
