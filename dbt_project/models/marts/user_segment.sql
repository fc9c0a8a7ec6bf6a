{{
    config(
        materialized=pulse_published_materialization(),
    )
}}

{#- Exactly one segment per user at the latest run's as_of. The rules live in
    models/intermediate/int_user_segments_evaluated.sql; this model publishes its rows
    with the as_of and computed_at of the latest run (a view on PostgreSQL: the rows
    and the run record change in one transaction).

    Written without CTEs, against the house style: PostgreSQL inlines a view into the
    query that reads it only when the view has no WITH clause, and only then do the
    admin API's lookups and pages (by user_id, by segment) reach the indexes. The run's
    labels are scalar subqueries, evaluated once per query. -#}
{%- set user_segment_runs = pulse_segment_runs_of(ref('int_user_segments_evaluated')) -%}

select
    user_segments_evaluated.user_id,
    user_segments_evaluated.segment,
    user_segments_evaluated.rule,
    user_segments_evaluated.last_active_at,
    user_segments_evaluated.deposit_30d,
    user_segments_evaluated.created_at,
    (
        select latest_run.as_of
        from {{ user_segment_runs }} as latest_run
        order by latest_run.computed_at desc
        limit 1
    ) as as_of,
    (
        select latest_run.computed_at
        from {{ user_segment_runs }} as latest_run
        order by latest_run.computed_at desc
        limit 1
    ) as computed_at,
    user_segments_evaluated.override_reason,
    user_segments_evaluated.override_expires_at,
    user_segments_evaluated.evaluated_at

from {{ ref('int_user_segments_evaluated') }} as user_segments_evaluated
