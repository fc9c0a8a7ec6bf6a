{#- Written without CTEs, against the house style: PostgreSQL pulls a view into the
    query that reads it only when the view has no WITH clause, and only then can the
    increments' window (int_ranking_snapshots_incremented) read the snapshots in the
    order of the (user_id, updated_at) index instead of sorting 2M rows on disk. -#}
select
    id as ranking_snapshot_id,
    user_id,
    deposit_amount,
    updated_at,
    received_at

-- no alias: `dbt run --empty` (the unit tests' setup) renders the source as an aliased subquery
from {{ source('app', 'ranking_snapshots') }}
