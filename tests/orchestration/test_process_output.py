"""Dagster's output under `make run`: everything in the log file, the terminal sees what
needs attention."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from orchestration.process_output import AttentionFilter, forward_output

DAEMON_OUTPUT = [
    "2026-11-01 09:00:00 +0000 - dagster.daemon.SchedulerDaemon - INFO - Checking for new runs",
    "2026-11-01 09:00:00 +0000 - dagster.daemon.SensorDaemon - INFO - Not checking for any runs",
    "2026-11-01 09:00:30 +0000 - dagster.daemon - WARNING - The daemon heartbeat is late",
    "2026-11-01 09:00:31 +0000 - dagster.daemon.QueuedRunCoordinatorDaemon - INFO - Poll",
    "2026-11-01 09:00:32 +0000 - dagster.code_server - ERROR - Could not load the code:",
    "Traceback (most recent call last):",
    '  File "orchestration/definitions.py", line 3, in <module>',
    "ModuleNotFoundError: No module named 'orchestration.missing'",
    "2026-11-01 09:01:00 +0000 - dagster.daemon.SchedulerDaemon - INFO - Checking for new runs",
    "  a second line of an INFO message",
    "/site-packages/dagster/_cli/dev.py:1: SupersessionWarning: `dg dev` supersedes this",
    # a Python warning, as Dagster logs it at every start of every process
    "\x1b[32m2026-11-01 09:01:00 +0000\x1b[0m - dagster - \x1b[34mWARNING\x1b[0m - "
    "/site-packages/dagster/_core/decorator_utils.py:232: BetaWarning: Function is in beta",
    "  return fn(*args, **kwargs)",
    "",
    # the level as coloredlogs writes it to a terminal
    "2026-11-01 09:01:01 +0000 - dagster - \x1b[34mCRITICAL\x1b[0m - the daemon stopped",
    "Traceback (most recent call last):",
    '  File "<string>", line 1, in <module>',
    "dagster._core.errors.DagsterUserCodeLoadError: could not load",
    "Error: No such option: --bad",
]


def test_only_warnings_errors_and_their_continuations_reach_the_terminal() -> None:
    shown = AttentionFilter()
    assert [line for line in DAEMON_OUTPUT if shown(line)] == [
        "2026-11-01 09:00:30 +0000 - dagster.daemon - WARNING - The daemon heartbeat is late",
        "2026-11-01 09:00:32 +0000 - dagster.code_server - ERROR - Could not load the code:",
        "Traceback (most recent call last):",
        '  File "orchestration/definitions.py", line 3, in <module>',
        "ModuleNotFoundError: No module named 'orchestration.missing'",
        "2026-11-01 09:01:01 +0000 - dagster - \x1b[34mCRITICAL\x1b[0m - the daemon stopped",
        "Traceback (most recent call last):",
        '  File "<string>", line 1, in <module>',
        "dagster._core.errors.DagsterUserCodeLoadError: could not load",
        "Error: No such option: --bad",
    ]


def test_a_traceback_on_stderr_without_a_log_line_before_it_is_shown() -> None:
    shown = AttentionFilter()
    assert shown("Traceback (most recent call last):")
    assert shown('  File "x.py", line 1, in <module>')
    assert shown("RuntimeError: boom")
    assert not shown("2026-11-01 09:00:00 +0000 - dagster.daemon - INFO - back to normal")


def test_a_process_output_goes_to_the_log_file_and_its_errors_to_the_terminal(
    tmp_path: Path,
) -> None:
    log_path = tmp_path / "logs" / "dagster.log"
    log_path.parent.mkdir()
    log_path.write_text("an earlier run\n")
    program = (
        "import sys\n"
        f"print({DAEMON_OUTPUT[0]!r}, flush=True)\n"
        f"print({DAEMON_OUTPUT[2]!r}, file=sys.stderr, flush=True)\n"
        f"print({DAEMON_OUTPUT[1]!r}, flush=True)\n"
        "raise RuntimeError('the webserver could not bind its port')\n"
    )
    terminal = io.StringIO()
    child = subprocess.Popen(
        [sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert child.stdout is not None
    copier = forward_output(child.stdout, log_path, terminal, prefix="dagster | ")
    child.wait(timeout=60)
    copier.join(timeout=60)
    assert not copier.is_alive()

    logged = log_path.read_text().splitlines()
    assert logged[0] == "an earlier run"  # appended, never truncated
    assert logged[1:4] == [DAEMON_OUTPUT[0], DAEMON_OUTPUT[2], DAEMON_OUTPUT[1]]
    assert logged[-1] == "RuntimeError: the webserver could not bind its port"
    shown = terminal.getvalue().splitlines()
    assert shown[0] == f"dagster | {DAEMON_OUTPUT[2]}"
    assert shown[1] == "dagster | Traceback (most recent call last):"
    assert shown[-1] == "dagster | RuntimeError: the webserver could not bind its port"
    assert not any("INFO" in line for line in shown)
