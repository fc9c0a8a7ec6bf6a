{{
    config(
        materialized=pulse_published_materialization(),
    )
}}

{#- Exactly one segment per user at the latest run's as_of. The rules live in
    models/intermediate/int_user_segments_evaluated.sql; this model publishes its rows
    with the as_of and computed_at of the run that last wrote them (a view on
    PostgreSQL: the rows and the run record change in one transaction). -#}

with

user_segments_evaluated as (

    select * from {{ ref('int_user_segments_evaluated') }}

),

latest_segment_run as (

    select
        segment_runs.as_of,
        segment_runs.computed_at

    from {{ pulse_segment_runs_of(ref('int_user_segments_evaluated')) }} as segment_runs
    order by segment_runs.computed_at desc
    limit 1

),

user_segment as (

    select
        user_segments_evaluated.user_id,
        user_segments_evaluated.segment,
        user_segments_evaluated.rule,
        user_segments_evaluated.last_active_at,
        user_segments_evaluated.deposit_30d,
        user_segments_evaluated.created_at,
        latest_segment_run.as_of,
        latest_segment_run.computed_at,
        user_segments_evaluated.override_reason,
        user_segments_evaluated.override_expires_at,
        user_segments_evaluated.evaluated_at

    from user_segments_evaluated
    cross join latest_segment_run

)

select * from user_segment
