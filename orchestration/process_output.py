"""Dagster's process output under `make run`: all of it to a log file, to the terminal
only what needs attention.

The daemon logs a few INFO lines every 30 seconds, which would bury the API's output
in a shared terminal. Every line goes to the log file; the terminal gets the lines
logged at WARNING or above (except Python's warnings about libraries), tracebacks and
error lines (a crash at start), each with the lines that continue it (a traceback's
frames, a multi-line message).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import IO, TextIO

# Dagster's format: "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
LOG_LINE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}\S*(?: [+-]\d{4})? - \S+ - (?P<level>[A-Z]+) - "
    r"(?P<message>.*)"
)
ATTENTION_LEVELS = frozenset({"WARNING", "ERROR", "CRITICAL", "FATAL"})
# Dagster logs Python's warnings (a beta API, a deprecation) at WARNING, at every start of
# every process: notes for whoever upgrades a library, not for whoever watches the API.
PYTHON_WARNING = re.compile(r"^\S+\.py:\d+: \w*Warning: ")
# Output outside Dagster's logger that starts a report worth showing.
ERROR_START = re.compile(r"^(Traceback \(most recent call last\)|[\w.]*(Error|Exception)\b)")
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class AttentionFilter:
    """Decides, line by line, what reaches the terminal.

    A log line decides by its level; a line outside the log format is shown when it
    starts a traceback or an error, and otherwise goes with the line before it.
    """

    def __init__(self) -> None:
        self.showing = False

    def __call__(self, line: str) -> bool:
        text = ANSI_ESCAPE.sub("", line)
        logged = LOG_LINE.match(text)
        if logged:
            self.showing = logged["level"] in ATTENTION_LEVELS and not PYTHON_WARNING.match(
                logged["message"]
            )
        elif ERROR_START.match(text):
            self.showing = True
        return self.showing


def forward_output(
    stream: IO[bytes], log_path: Path, terminal: TextIO, prefix: str
) -> threading.Thread:
    """Start a thread copying `stream` to `log_path` (appended) and the lines that need
    attention to `terminal`, each after `prefix`. The thread ends at the stream's end."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    shown = AttentionFilter()

    def copy() -> None:
        with log_path.open("a", encoding="utf-8") as log:
            for raw in stream:
                line = raw.decode("utf-8", errors="replace")
                log.write(line)
                log.flush()
                if shown(line):
                    terminal.write(f"{prefix}{line.rstrip()}\n")
                    terminal.flush()

    thread = threading.Thread(target=copy, name=f"output to {log_path.name}", daemon=True)
    thread.start()
    return thread
