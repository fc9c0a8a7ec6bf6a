"""A real uvicorn process serving Pulse on loopback, for tests that need the whole stack."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LiveServer:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def uvicorn_command(port: int, workers: int = 1) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "ingest.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
    ]


def start_uvicorn(command: list[str], log_path: Path, env: dict[str, str], port: int) -> LiveServer:
    """Start `command` (uvicorn on `port`) and return once `/healthz` answers."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited: {log_path.read_text()}")
        try:
            return httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(answers, 30, "uvicorn answering /healthz")
    except AssertionError:
        process.kill()
        raise RuntimeError(f"uvicorn did not start: {log_path.read_text()}") from None
    return server


@contextmanager
def live_server(
    log_path: Path, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    """uvicorn on a free port with this process's environment (test database, JWT secret).

    `env` overrides single variables (another DATABASE_URL, a lower rate limit).
    """
    port = free_port()
    command = uvicorn_command(port, workers)
    server = start_uvicorn(command, log_path, {**os.environ, **(env or {})}, port)
    process = server.process
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
