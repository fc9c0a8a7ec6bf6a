-- A charge after the run's as_of cannot have been seen at as_of. Checked on the rows
-- the latest run wrote (older rows were checked by the run that wrote them); the
-- relation, not the CTE, in the subquery: PostgreSQL materializes a CTE read twice.
with

user_activity as (

    select * from {{ ref('user_activity') }}

)

select
    user_activity.user_id,
    user_activity.last_charge_at
from user_activity
where
    user_activity.evaluated_at = (
        select max(latest_run.evaluated_at) from {{ ref('user_activity') }} as latest_run
    )
    and user_activity.last_charge_at > {{ pulse_as_of() }}
