"""The `pulse` command: one entry point, a subcommand per job.

    pulse run                 migrate, load demo data once, serve the API and Dagster
    pulse segment-users ...   refresh the segments through Dagster (or --dry-run)
    pulse dbt ARGS...         dbt against Pulse's database
    pulse demo-data ...       fill the tables with demo players
    pulse token ...           print an API token (development)
    pulse dagster {webserver|daemon} ...   one Dagster process, instance prepared
    pulse spark-cluster {test|run} ...     a Spark cluster on loopback

Each subcommand's code lives where it belongs (the pipeline's in `orchestration`, the
service's in `ingest`, the shared ones here) and is imported only when that subcommand
runs: `pulse` imports neither package otherwise, and loading Dagster is not a cost of
`pulse token`. The files in `scripts/` run the same subcommands under their own names.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

Command = Callable[[list[str], str], int]


def _run(argv: list[str], prog: str) -> int:
    from orchestration.launch import run_pulse

    return run_pulse(argv, prog)


def _segment_users(argv: list[str], prog: str) -> int:
    from orchestration.segment_users import main

    return main(argv, prog)


def _dbt(argv: list[str], prog: str) -> int:
    from pulse.dbt_env import run_dbt

    return run_dbt(argv)


def _demo_data(argv: list[str], prog: str) -> int:
    from pulse.demo_data import main

    return main(argv, prog)


def _token(argv: list[str], prog: str) -> int:
    from ingest.tokens import main

    main(argv, prog)
    return 0


def _dagster(argv: list[str], prog: str) -> int:
    from orchestration.launch import run_dagster

    return run_dagster(argv, prog)


def _spark_cluster(argv: list[str], prog: str) -> int:
    from orchestration.lake.spark_cluster import main

    return main(argv)


COMMANDS: dict[str, tuple[Command, str]] = {
    "run": (_run, "migrate, load demo data once, serve the API and the Dagster UI"),
    "segment-users": (_segment_users, "refresh the segments through Dagster (or --dry-run)"),
    "dbt": (_dbt, "run dbt against Pulse's database"),
    "demo-data": (_demo_data, "fill Pulse's tables with demo players"),
    "token": (_token, "print an API token signed with JWT_SECRET"),
    "dagster": (_dagster, "start Dagster's webserver or daemon with the instance prepared"),
    "spark-cluster": (_spark_cluster, "a Spark cluster on loopback: run the test or a command"),
}


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [f"  {name:<{width}}  {summary}" for name, (_, summary) in COMMANDS.items()]
    return "usage: pulse COMMAND [arguments...]\n\ncommands:\n" + "\n".join(lines)


def dispatch(command: str, argv: list[str], prog: str) -> int:
    """Run `command` with `argv`; `prog` is the name its messages go by."""
    entry, _ = COMMANDS[command]
    return entry(argv, prog)


def main(argv: list[str] | None = None) -> int:
    """The `pulse` console script."""
    arguments = sys.argv[1:] if argv is None else argv
    if not arguments or arguments[0] in ("-h", "--help"):
        print(usage())
        return 0 if arguments else 2
    command, *rest = arguments
    if command not in COMMANDS:
        print(f"pulse: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    return dispatch(command, rest, f"pulse {command}")


def run_script(command: str) -> NoReturn:
    """What each file in `scripts/` does: run `command` with the script's arguments,
    under the script's own name."""
    raise SystemExit(dispatch(command, sys.argv[1:], Path(sys.argv[0]).name))
