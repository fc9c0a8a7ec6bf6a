"""Start one Dagster process for Pulse with the instance prepared: the webserver or the daemon.

    python scripts/run_dagster.py webserver -h 0.0.0.0 -p 3000
    python scripts/run_dagster.py daemon

Production runs these two long-lived processes (`make run` uses `dagster dev`
instead). Before starting, this sets DAGSTER_HOME (default `<PULSE_HOME>/dagster`),
writes the instance file chosen by PULSE_DAGSTER_STORAGE, exports the PostgreSQL
storage URL derived from DATABASE_URL, and parses the dbt project if it changed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

COMMANDS = {
    "webserver": [str(BIN / "dagster-webserver"), "-w", "workspace.yaml"],
    "daemon": [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
}


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in COMMANDS:
        raise SystemExit(f"usage: run_dagster.py {{{'|'.join(COMMANDS)}}} [options...]")
    from orchestration.instance import prepare_dagster_home
    from orchestration.project import prepare_manifest_if_stale

    prepare_dagster_home()
    prepare_manifest_if_stale()
    os.chdir(ROOT)
    os.environ["PATH"] = os.pathsep.join([str(BIN), os.environ.get("PATH", "")])
    command = COMMANDS[argv[0]] + argv[1:]
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
