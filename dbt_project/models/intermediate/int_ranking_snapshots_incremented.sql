with

ranking_snapshots as (

    select * from {{ ref('stg_app__ranking_snapshots') }}

),

with_previous_amount as (

    select
        ranking_snapshots.ranking_snapshot_id,
        ranking_snapshots.user_id,
        ranking_snapshots.deposit_amount,
        ranking_snapshots.updated_at,
        ranking_snapshots.received_at,
        -- ordered by the feed's time, not arrival: a late snapshot slots into its place
        cast(
            coalesce(
                lag(ranking_snapshots.deposit_amount) over (
                    partition by ranking_snapshots.user_id
                    order by ranking_snapshots.updated_at
                ),
                0
            ) as {{ dbt.type_numeric() }}
        ) as previous_deposit_amount

    from ranking_snapshots

),

incremented as (

    select
        ranking_snapshot_id,
        user_id,
        deposit_amount,
        previous_deposit_amount,
        -- a drop (reset or correction) is never a charge; the next rise counts from the drop
        cast(
            greatest(deposit_amount - previous_deposit_amount, 0) as {{ dbt.type_numeric() }}
        ) as deposit_increment,
        updated_at,
        received_at

    from with_previous_amount

)

select * from incremented
