{#- Written without CTEs, against the house style (like stg_app__ranking_snapshots):
    a view with a WITH clause is planned apart from the query that reads it, so the
    window below would sort every snapshot and the per-user aggregate of user_activity
    would hash them again. Without one, PostgreSQL reads the (user_id, updated_at)
    index in order and aggregates the window's output as it streams (about half the
    time of the deposit side of a full build; docs/benchmarks.md). -#}
select
    with_previous_amount.ranking_snapshot_id,
    with_previous_amount.user_id,
    with_previous_amount.deposit_amount,
    with_previous_amount.previous_deposit_amount,
    -- a drop (reset or correction) is never a charge; the next rise counts from the drop
    cast(
        greatest(
            with_previous_amount.deposit_amount - with_previous_amount.previous_deposit_amount,
            0
        ) as {{ dbt.type_numeric() }}
    ) as deposit_increment,
    with_previous_amount.updated_at,
    with_previous_amount.received_at

from (

    select
        ranking_snapshot_id,
        user_id,
        deposit_amount,
        updated_at,
        received_at,
        -- ordered by the feed's time, not arrival: a late snapshot slots into its place
        cast(
            coalesce(
                lag(deposit_amount) over (
                    partition by user_id
                    order by updated_at
                ),
                0
            ) as {{ dbt.type_numeric() }}
        ) as previous_deposit_amount

    -- no alias: `dbt run --empty` renders the relation as an aliased subquery
    from {{ ref('stg_app__ranking_snapshots') }}

) as with_previous_amount
