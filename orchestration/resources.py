"""Resources: the dbt CLI (key `dbt`) and Pulse's PostgreSQL database (key `database`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from dagster import ConfigurableResource, Failure
from dagster_dbt import DbtCliInvocation, DbtCliResource
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

from orchestration.project import pulse_dbt_project
from pulse.database_url import database_url
from pulse.dbt_env import DBT_EXECUTABLE, applied_dbt_environment


class PulseDatabase(ConfigurableResource):
    """Pulse's PostgreSQL (DATABASE_URL or the embedded server) for checks and observations."""

    def engine(self) -> Engine:
        return create_engine(database_url(), poolclass=NullPool)

    @contextmanager
    def scoped_engine(self) -> Iterator[Engine]:
        """An engine for the block, disposed of afterwards."""
        engine = self.engine()
        try:
            yield engine
        finally:
            engine.dispose()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.scoped_engine() as engine, engine.connect() as connection:
            yield connection

    @contextmanager
    def exclusive(self, lock_name: str) -> Iterator[None]:
        """Hold a PostgreSQL advisory lock named `lock_name`, or fail at once if someone has it.

        Refreshes take this lock so two of them never write the same tables at the same
        time, whichever way they were started (schedule, UI, script).
        """
        with self.connect() as connection:
            acquired: bool = connection.execute(
                text("select pg_try_advisory_lock(hashtext(:name))"), {"name": lock_name}
            ).scalar_one()
            if not acquired:
                raise Failure(
                    description=f"another {lock_name} is running; this one did not start "
                    "(it would overlap). Try again when the other run has finished."
                )
            try:
                yield
            finally:
                connection.execute(
                    text("select pg_advisory_unlock(hashtext(:name))"), {"name": lock_name}
                )
                connection.commit()

    def is_held(self, lock_name: str) -> bool:
        """Whether some session of this database holds the lock `exclusive(lock_name)` takes.

        Read from `pg_locks` without trying the lock, so asking never makes a refresh
        that starts at that instant fail. The key is the 64-bit `hashtext(name)`, which
        `pg_locks` shows split in two (`classid` the high half, `objid` the low half).
        """
        with self.connect() as connection:
            held: bool = connection.execute(
                text(
                    "select exists ("
                    " select 1 from pg_locks"
                    " where locktype = 'advisory' and granted and objsubid = 1"
                    " and database = (select oid from pg_database"
                    "  where datname = current_database())"
                    " and ((cast(classid as bigint) << 32) | cast(objid as bigint))"
                    "  = cast(hashtext(:name) as bigint))"
                ),
                {"name": lock_name},
            ).scalar_one()
        return held


DbtStarter = Callable[..., DbtCliInvocation]


@contextmanager
def dbt_under_lock(
    database: PulseDatabase, lock_name: str, dbt: DbtCliResource
) -> Iterator[DbtStarter]:
    """Hold the advisory lock `lock_name` for the block and give a function that starts
    dbt in it: `start(args, environment, **cli_options)` returns the running invocation.

    Every dbt run of a refresh or a dry run starts through here, so none runs outside its
    lock; the block keeps the lock while the caller streams the events and reads or loads
    what dbt built.
    """

    def start(args: list[str], environment: dict[str, str], **cli_options: Any) -> DbtCliInvocation:
        with applied_dbt_environment(environment):
            return dbt.cli(args, raise_on_error=False, **cli_options)

    with database.exclusive(lock_name):
        yield start


def pulse_resources() -> dict[str, object]:
    return {
        "dbt": DbtCliResource(project_dir=pulse_dbt_project, dbt_executable=str(DBT_EXECUTABLE)),
        "database": PulseDatabase(),
    }
