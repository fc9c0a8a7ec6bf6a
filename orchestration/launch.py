"""Starting Pulse's processes: `pulse run` and `pulse dagster`.

`pulse run` runs Pulse on this machine: migrate, load demo data once, serve the API and
the Dagster UI.

    make run            (or: .venv/bin/pulse run, .venv/bin/python scripts/run_pulse.py)

With DATABASE_URL unset everything runs on the embedded PostgreSQL under ./.pulse/
(PULSE_HOME), and Dagster keeps its instance (SQLite) under ./.pulse/dagster (or
DAGSTER_HOME).
The API logs to the terminal; Dagster's webserver and daemon log to
<PULSE_HOME>/logs/dagster.log, and only their warnings and errors show in the terminal.
PULSE_HOST / PULSE_PORT choose where the API listens (default 127.0.0.1:8000),
PULSE_DAGSTER_PORT where the Dagster UI does (default 3000). The segments are
materialized once at start (a full refresh, visible in the UI); after that the
schedules take over. Ctrl-C (or SIGTERM) stops every child process.

`pulse dagster` starts one Dagster process with the instance prepared, the webserver or
the daemon:

    pulse dagster webserver -h 0.0.0.0 -p 3000
    pulse dagster daemon

Production runs these two long-lived processes (`pulse run` uses `dagster dev`
instead). Before starting, it sets DAGSTER_HOME (default `<PULSE_HOME>/dagster`),
writes the instance file chosen by PULSE_DAGSTER_STORAGE, exports the PostgreSQL
storage URL derived from DATABASE_URL, and parses the dbt project if it changed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import FrameType

from orchestration.config import get_orchestration_settings
from orchestration.process_output import forward_output
from pulse.settings import PROJECT_ROOT, child_environment

ROOT = PROJECT_ROOT
BIN = Path(sys.executable).parent

DAGSTER_START_SECONDS = 120
DAGSTER_COMMANDS = {
    "webserver": [str(BIN / "dagster-webserver"), "-w", "workspace.yaml"],
    "daemon": [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
}


def step(title: str, command: list[str]) -> None:
    print(f"==> {title}", flush=True)
    completed = subprocess.run(command, cwd=ROOT)
    if completed.returncode != 0:
        raise SystemExit(f"pulse: {title} failed (exit {completed.returncode})")


def default_signals() -> None:
    # A shell that starts us in the background makes children inherit SIGINT/SIGTERM as
    # ignored (dagster dev would then never stop): give them the default handlers back.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def start(
    command: list[str], env: dict[str, str], log_path: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start a child in its own process group (stopping it also stops everything it
    started); with `log_path`, its output goes there and only what needs attention
    to the terminal."""
    output = subprocess.PIPE if log_path else None
    child = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        preexec_fn=default_signals,
        start_new_session=True,
        stdout=output,
        stderr=subprocess.STDOUT if log_path else None,
    )
    if log_path and child.stdout:
        forward_output(child.stdout, log_path, sys.stderr, prefix="dagster | ")
    return child


def stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def wait_until_answering(url: str, seconds: float, child: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and child.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(1)
    return False


def raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_pulse(argv: list[str], prog: str = "pulse run") -> int:
    """`pulse run` (takes no arguments)."""
    if argv:
        raise SystemExit(f"usage: {prog} (no arguments; settings come from the environment)")
    signal.signal(signal.SIGINT, raise_interrupt)
    signal.signal(signal.SIGTERM, raise_interrupt)
    settings = get_orchestration_settings()
    host, port, dagster_port = settings.pulse_host, settings.pulse_port, settings.pulse_dagster_port
    step("migrating the database", [str(BIN / "alembic"), "upgrade", "head"])
    step(
        "loading demo data (first run only)",
        [sys.executable, "-m", "pulse", "demo-data", "--users", "2000", "--if-empty"],
    )

    from orchestration.instance import prepare_dagster_home
    from orchestration.project import prepare_manifest_if_stale

    print("==> preparing Dagster (instance and dbt manifest)", flush=True)
    home = prepare_dagster_home()
    prepare_manifest_if_stale()
    dagster_log = settings.log_dir.resolve() / "dagster.log"
    print(
        f"==> Dagster's log (webserver, daemon): {dagster_log}; "
        "its warnings and errors also show here",
        flush=True,
    )
    env = child_environment(path_first=BIN)

    children: list[subprocess.Popen[bytes]] = []
    try:
        children.append(
            start([str(BIN / "uvicorn"), "ingest.main:app", "--host", host, "--port", port], env)
        )
        dagster = start(
            [str(BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", host, "-p", dagster_port],
            env,
            dagster_log,
        )
        children.append(dagster)
        print("==> materializing everything once (full refresh through Dagster)", flush=True)
        refresh = subprocess.run(
            [sys.executable, "-m", "pulse", "segment-users", "--full-refresh"], cwd=ROOT, env=env
        )
        if refresh.returncode != 0:
            print("pulse: the first refresh failed; see the run in the Dagster UI", flush=True)
        print("==> waiting for the Dagster UI", flush=True)
        ui_url = f"http://{host}:{dagster_port}"
        if not wait_until_answering(f"{ui_url}/server_info", DAGSTER_START_SECONDS, dagster):
            raise SystemExit(f"pulse: the Dagster UI did not start (see {dagster_log})")
        print(f"==> Pulse API   http://{host}:{port}  (docs: http://{host}:{port}/docs)")
        print(f"==> Dagster UI  {ui_url}  (instance: {home}; log: {dagster_log})")
        print(
            f"==> Admin console http://{host}:{port}/admin  (sign in with a token from "
            "`.venv/bin/pulse token --user-id 1 --admin`)"
        )
        print("==> Ctrl-C stops everything", flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(1)
        raise SystemExit(
            f"pulse: a service stopped unexpectedly (Dagster's log: {dagster_log}); "
            "stopping the others"
        )
    except KeyboardInterrupt:
        print("\n==> stopping", flush=True)
    finally:
        stop(children)
    return 0


def run_dagster(argv: list[str], prog: str = "pulse dagster") -> int:
    """`pulse dagster {webserver|daemon} [options...]`: replaces this process with Dagster's."""
    if not argv or argv[0] not in DAGSTER_COMMANDS:
        raise SystemExit(f"usage: {prog} {{{'|'.join(DAGSTER_COMMANDS)}}} [options...]")
    from orchestration.instance import prepare_dagster_home
    from orchestration.project import prepare_manifest_if_stale

    prepare_dagster_home()
    prepare_manifest_if_stale()
    os.chdir(ROOT)
    command = DAGSTER_COMMANDS[argv[0]] + argv[1:]
    os.execve(command[0], command, child_environment(path_first=BIN))
