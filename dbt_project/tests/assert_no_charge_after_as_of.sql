-- A charge after the run's as_of cannot have been seen at as_of (checked on the rows
-- the latest run evaluated: older rows were checked by the run that wrote them). The
-- as_of comes from the run record user_activity's post-hook writes beside it, so the
-- test runs as soon as user_activity is built, beside its other tests.
with

user_activity as (

    select * from {{ ref('user_activity') }}

),

latest_run as (

    select
        segment_runs.as_of,
        segment_runs.computed_at
    from {{ pulse_segment_runs_of(ref('user_activity')) }} as segment_runs
    order by segment_runs.computed_at desc
    limit 1

)

select
    user_activity.user_id,
    user_activity.last_charge_at,
    latest_run.as_of
from user_activity
inner join latest_run
    on user_activity.evaluated_at = latest_run.computed_at
where user_activity.last_charge_at > latest_run.as_of
