-- Increments are clamped at 0, so no 30-day deposit sum can be negative. Checked on the
-- published segments, which every run rebuilds; user_activity's own column has a
-- generic test (pulse_at_least).
with

user_segment as (

    select * from {{ ref('user_segment') }}

)

select
    user_segment.user_id,
    user_segment.deposit_30d
from user_segment
where user_segment.deposit_30d < 0
