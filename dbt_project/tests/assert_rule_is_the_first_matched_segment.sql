-- A rule's segment is the first entry that held: `matched_segments` and `segment`/`rule`
-- come from the same evaluation, so they can only disagree if that SQL is wrong.
-- Overrides are left out (their segment is the admin's, not the rules').
with

user_segment_updates as (

    -- the rows the run publishes (the others were checked when they were published)
    select * from {{ ref('user_segment_updates') }}
    where not is_removed

)

select
    user_segment_updates.user_id,
    user_segment_updates.segment,
    user_segment_updates.rule,
    user_segment_updates.matched_segments
from user_segment_updates
where
    user_segment_updates.rule <> 'override'
    and (
        {{ dbt.split_part('user_segment_updates.matched_segments', "','", 1) }}
        <> user_segment_updates.segment
        or lower(user_segment_updates.segment) <> user_segment_updates.rule
    )
