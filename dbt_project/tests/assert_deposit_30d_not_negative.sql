-- Increments are clamped at 0, so no 30-day deposit sum can be negative (checked on the
-- rows the latest run wrote: older rows were checked by the run that wrote them).
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
where
    -- the table itself, not the CTE: PostgreSQL would materialize a CTE read twice,
    -- copying 1M rows to check the few the run wrote
    user_activity.evaluated_at = (
        select max(latest.evaluated_at) from {{ ref('user_activity') }} as latest
    )
    and user_activity.deposit_30d < 0

union all

select
    user_segment.user_id,
    user_segment.deposit_30d
from user_segment
where
    user_segment.evaluated_at = user_segment.computed_at
    and user_segment.deposit_30d < 0
