"""Run Pulse on this machine: migrate, load demo data once, serve the API.

    make run            (or: .venv/bin/python scripts/run_pulse.py)

With DATABASE_URL unset everything runs on the embedded PostgreSQL under ./.pulse/.
PULSE_HOST / PULSE_PORT choose where the API listens (default 127.0.0.1:8000).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def step(title: str, command: list[str]) -> None:
    print(f"==> {title}", flush=True)
    completed = subprocess.run(command, cwd=ROOT)
    if completed.returncode != 0:
        raise SystemExit(f"pulse: {title} failed (exit {completed.returncode})")


def main() -> None:
    host = os.environ.get("PULSE_HOST", "127.0.0.1")
    port = os.environ.get("PULSE_PORT", "8000")
    step("migrating the database", [str(BIN / "alembic"), "upgrade", "head"])
    step(
        "loading demo data (first run only)",
        [sys.executable, "scripts/generate_demo_data.py", "--users", "2000", "--if-empty"],
    )
    print(f"==> Pulse API on http://{host}:{port}  (docs: http://{host}:{port}/docs)", flush=True)
    os.execv(
        str(BIN / "uvicorn"),
        [str(BIN / "uvicorn"), "ingest.main:app", "--host", host, "--port", port],
    )


if __name__ == "__main__":
    main()
