-- A rule's segment is the first entry that held: `matched_segments` and `segment`/`rule`
-- come from the same evaluation, so they can only disagree if that SQL is wrong.
-- Overrides are left out (their segment is the admin's, not the rules').
with

user_segment as (

    select * from {{ ref('user_segment') }}

)

select
    user_segment.user_id,
    user_segment.segment,
    user_segment.rule,
    user_segment.matched_segments
from user_segment
where
    user_segment.rule <> 'override'
    and (
        {{ dbt.split_part('user_segment.matched_segments', "','", 1) }} <> user_segment.segment
        or lower(user_segment.segment) <> user_segment.rule
    )
