"""A running local stack for end-to-end tests: the emulator and `chalice local` as real
subprocesses on free ports, and the admin CLI run against it as a user would."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
# Debian's Chromium under Playwright (its own browser download is not reachable here).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHALICE_LOCAL = [sys.executable, "-m", "chalicelib.local_server", "local"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not come up")


def _stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class Stack:
    issuer: str
    env: dict[str, str]
    log_dir: Path

    def admin(self, *args: str, stdin: str | None = None) -> Any:
        """Run the admin CLI against this stack; returns its JSON output."""
        result = subprocess.run(
            [sys.executable, "-m", "chalicelib.admin", "--stage", "local", *args],
            cwd=ROOT, env=self.env, input=stdin, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


@contextmanager
def running_stack(
    tmp_path_factory: pytest.TempPathFactory, host: str = "127.0.0.1", **settings: str
) -> Iterator[Stack]:
    """Start a stack; `settings` are extra environment variables for it (e.g. lifetimes).
    `host` names the issuer's host: `localhost` for WebAuthn, whose RP ID cannot be an IP
    address (the server listens on 127.0.0.1 either way)."""
    emulator_port, app_port = free_port(), free_port()
    log_dir = tmp_path_factory.mktemp("stack")
    env = {
        **os.environ,
        "EMULATOR_PORT": str(emulator_port),
        "PORT": str(app_port),
        "GATEHOUSE_EMULATOR": "true",
        "PYTHONUNBUFFERED": "1",
        # The race tests send hundreds of /token requests for one client within seconds;
        # per-client quotas are tested in-process (tests/records/test_quotas.py).
        "TOKEN_RATE_PER_CLIENT": "10000",
        "TOKEN_BURST_PER_CLIENT": "100000",
        **settings,
    }
    for name in ("ISSUER", "TABLE_PREFIX", "KEY_ALIAS_PREFIX", "GATEHOUSE_STAGE"):
        env.pop(name, None)
    issuer = f"http://{host}:{app_port}"
    if host != "127.0.0.1":
        env["ISSUER"] = issuer
    emulator_log = (log_dir / "emulator.log").open("w")
    emulator = subprocess.Popen(
        [sys.executable, "-m", "chalicelib.emulator", "--no-app", "--no-demo"],
        cwd=ROOT, env=env, stdout=emulator_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    app = None
    try:
        deadline = time.monotonic() + 90
        while "GATEHOUSE READY" not in (log_dir / "emulator.log").read_text():
            assert emulator.poll() is None, (log_dir / "emulator.log").read_text()
            assert time.monotonic() < deadline, "emulator did not start"
            time.sleep(0.2)
        app_log = (log_dir / "app.log").open("w")
        app = subprocess.Popen(
            [*CHALICE_LOCAL, "--stage", "local", "--no-autoreload", "--port", str(app_port)],
            cwd=ROOT, env=env, stdout=app_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        _wait_http(f"{issuer}/.well-known/openid-configuration")
        yield Stack(issuer=issuer, env=env, log_dir=log_dir)
    finally:
        if app is not None:
            _stop(app)
        _stop(emulator)
