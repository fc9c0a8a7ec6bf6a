{{
    config(
        materialized=pulse_published_materialization(),
    )
}}

{#- Exactly one segment per user at the latest run's as_of. The rules live in
    models/marts/user_activity.sql (CTE segment_rules), which stores each user's
    segment beside the features it used; this model publishes those columns with the
    as_of and computed_at of the latest run (a view on PostgreSQL: the rows and the
    run record change in one transaction).

    Written without CTEs, against the house style: PostgreSQL inlines a view into the
    query that reads it only when the view has no WITH clause, and only then do the
    admin API's lookups and pages (by user_id, by segment) reach the indexes. The run's
    labels are scalar subqueries, evaluated once per query. -#}
{%- set user_segment_runs = pulse_segment_runs_of(ref('user_activity')) -%}

select
    segmented_users.user_id,
    segmented_users.segment,
    segmented_users.rule,
    segmented_users.last_active_at,
    segmented_users.deposit_30d,
    segmented_users.created_at,
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
    segmented_users.override_reason,
    segmented_users.override_expires_at,
    segmented_users.evaluated_at

from {{ ref('user_activity') }} as segmented_users
