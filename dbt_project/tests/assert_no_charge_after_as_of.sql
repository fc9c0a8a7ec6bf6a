-- A charge after the run's as_of cannot have been seen at as_of (checked on the rows
-- the latest run evaluated: older rows were checked by the run that wrote them).
with

user_activity as (

    select * from {{ ref('user_activity') }}

),

user_segment as (

    select * from {{ ref('user_segment') }}

)

select
    user_activity.user_id,
    user_activity.last_charge_at,
    user_segment.as_of

from user_activity
inner join user_segment
    on user_activity.user_id = user_segment.user_id
where
    user_segment.evaluated_at = user_segment.computed_at
    and user_activity.last_charge_at > user_segment.as_of
