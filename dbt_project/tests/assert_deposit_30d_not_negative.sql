-- Increments are clamped at 0, so no 30-day deposit sum can be negative. Checked on the
-- rows a run publishes; user_activity's own column has a generic test (pulse_at_least).
with

user_segment_updates as (

    -- the rows the run publishes (the others were checked when they were published)
    select * from {{ ref('user_segment_updates') }}
    where not is_removed

)

select
    user_segment_updates.user_id,
    user_segment_updates.deposit_30d
from user_segment_updates
where user_segment_updates.deposit_30d < 0
