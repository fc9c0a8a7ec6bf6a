"""Refresh Pulse's user segments through Dagster (the run is recorded and shows in the UI).

    pulse segment-users                        # incremental refresh, publishes
    pulse segment-users --full-refresh         # rebuild the incremental models
    pulse segment-users --as-of 2026-11-01T00:00:00Z   # evaluate at that time
    pulse segment-users --dry-run              # build into dryrun_*, publish nothing,
                                               # print the transition matrix
    pulse segment-users --dry-run --json       # the same as JSON
    pulse segment-users --dry-run --segments proposed.yml
                                               # preview a proposed declaration

(`python scripts/segment_users.py ...` runs the same command.)

Needs only DATABASE_URL (unset: the embedded PostgreSQL); PULSE_WAREHOUSE=spark runs
the same refresh (or dry run) on the Spark path (see docs/scaling.md). The Dagster instance is
DAGSTER_HOME, or `<PULSE_HOME>/dagster` when it is unset. Progress goes to stderr;
the result to stdout. Exit 0 on success, 1 with a one-line reason when the run
fails, 2 for bad arguments or settings (PULSE_WAREHOUSE, PULSE_LAKE_DIR, ...).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any, NoReturn

from orchestration.dbt_args import normalize_as_of
from pulse.dbt_env import SEGMENTS_VAR

# The tag that tells a run this command started from the ones the schedules started.
TRIGGER = "segment_users.py"


class OneLineErrorParser(argparse.ArgumentParser):
    """Bad arguments give one line on stderr (and exit 2), like every other failure here."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def parse_arguments(argv: list[str], prog: str = "pulse segment-users") -> argparse.Namespace:
    parser = OneLineErrorParser(
        prog=prog, description="Refresh Pulse's user segments through Dagster."
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="build into the dryrun_ schemas, publish nothing, print the transitions",
    )
    parser.add_argument(
        "--segments",
        metavar="FILE",
        help="with --dry-run: a YAML file whose one top-level key is pulse__segments, "
        "the proposed declaration to preview instead of dbt_project.yml's",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--as-of", help="evaluate the segments at this ISO-8601 time (default: now)"
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every model from scratch",
    )
    arguments = parser.parse_args(argv)
    if arguments.dry_run and arguments.full_refresh:
        parser.error("--dry-run always builds from scratch; drop --full-refresh")
    if arguments.segments and not arguments.dry_run:
        parser.error("--segments previews a declaration: use it with --dry-run")
    arguments.segments_file = arguments.segments
    if arguments.segments:
        try:
            arguments.segments = proposed_segments(Path(arguments.segments))
        except ValueError as error:
            parser.error(str(error))
    if arguments.as_of:
        try:
            arguments.as_of = normalize_as_of(arguments.as_of)
        except ValueError as error:
            parser.error(str(error))
    return arguments


def proposed_segments(path: Path) -> list[Any]:
    """The proposed declaration in a YAML file whose one top-level key is pulse__segments.

    Only the file's shape is checked here; the entries are checked by dbt, as the
    declaration in dbt_project.yml is, and an error names the entry.
    """
    import yaml

    try:
        document = yaml.safe_load(path.read_text())
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ValueError(f"{path} is not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(document, dict) or list(document) != [SEGMENTS_VAR]:
        raise ValueError(f"{path} must have exactly one top-level key, {SEGMENTS_VAR}")
    segments = document[SEGMENTS_VAR]
    if not isinstance(segments, list) or not segments:
        raise ValueError(f"{SEGMENTS_VAR} in {path} must be a non-empty list of entries")
    return segments


def published_state() -> dict[str, Any] | None:
    """The published relations' identity, or None when the database cannot be read."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    from orchestration.published import published_state as read_state
    from pulse.database_url import database_url

    engine = create_engine(database_url())
    try:
        with engine.connect() as connection:
            return read_state(connection)
    except OperationalError:
        return None
    finally:
        engine.dispose()


def published_summary() -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    from pulse.database_url import database_url

    engine = create_engine(database_url())
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "select segment, count(*) as users, max(as_of) as as_of "
                "from analytics.user_segment group by segment order by segment"
            )
        ).all()
    engine.dispose()
    as_of = max((row.as_of for row in rows), default=None)
    return {
        "segments": {row.segment: int(row.users) for row in rows},
        "as_of": as_of.isoformat() if as_of else None,
    }


def main(argv: list[str] | None = None, prog: str = "pulse segment-users") -> int:
    """`pulse segment-users`: exit 0 on success, 1 when the run fails, 2 for bad
    arguments or settings."""
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv, prog)
    from orchestration.config import settings_problem

    problem = settings_problem()
    if problem:
        print(f"{prog}: configuration error: {problem}", file=sys.stderr)
        return 2
    warnings.filterwarnings("ignore", module="dagster.*")
    warnings.filterwarnings("ignore", module="dagster_dbt.*")
    from orchestration.alerts import failure_reason

    # Imported after the arguments are checked: a typo should not wait for Dagster to load.
    from orchestration.instance import prepare_dagster_home
    from orchestration.progress import execute
    from orchestration.project import prepare_manifest_if_stale

    home = prepare_dagster_home()
    print(f"Dagster instance: {home}", file=sys.stderr, flush=True)
    prepare_manifest_if_stale()
    tags = {"pulse/trigger": TRIGGER}
    if arguments.as_of:
        tags["pulse/as_of"] = arguments.as_of

    if arguments.dry_run:
        config: dict[str, Any] = {"as_of": arguments.as_of} if arguments.as_of else {}
        if arguments.segments:
            config["segments"] = json.dumps(arguments.segments, default=str)
            tags["pulse/segments"] = Path(arguments.segments_file).name
        result = execute(
            "segment_dry_run", {"ops": {"dry_run_user_segment": {"config": config}}}, tags
        )
        if not result.success:
            reason = failure_reason(result, "a dry run publishes nothing")
            print(reason.replace("segment refresh", "dry run"), file=sys.stderr)
            return 1
        from orchestration.transitions import Transition, TransitionReport

        report = result.output_for_node("dry_run_user_segment")
        if arguments.json:
            print(json.dumps({"run_id": result.run_id, "dry_run": True, **report}, indent=2))
        else:
            transitions = [Transition(**item) for item in report.pop("transitions")]
            print(TransitionReport(**report, transitions=transitions).render())
            if arguments.segments_file:
                print(f"proposed segments: {arguments.segments_file} (no file was edited)")
            print("dry run: nothing was published")
        return 0

    from orchestration.jobs import refresh_run_config
    from orchestration.published import publish_outcome

    job_name = "segment_full_refresh" if arguments.full_refresh else "segment_refresh"
    before = published_state()
    # A replay of a past moment must not enter the history and the change feed as if it
    # were the present: the publish gate publishes its segments only.
    config = refresh_run_config(
        full_refresh=arguments.full_refresh,
        as_of=arguments.as_of,
        replay=arguments.as_of is not None,
    )
    result = execute(job_name, config, tags)
    if not result.success:
        after = published_state()
        outcome = (
            publish_outcome(before, after)
            if before is not None and after is not None
            else "the published relations could not be read to check them"
        )
        print(failure_reason(result, outcome), file=sys.stderr)
        return 1
    summary = {"run_id": result.run_id, "job": job_name, **published_summary()}
    if arguments.json:
        print(json.dumps(summary, indent=2))
    else:
        counts = ", ".join(f"{name} {users}" for name, users in summary["segments"].items())
        print(f"published user_segment as of {summary['as_of']}: {counts}")
    return 0
