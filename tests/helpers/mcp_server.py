"""The example MCP server (examples/mcp-server) as a subprocess beside a running stack,
registered there as an open resource server the way the README's steps register it.

The MCP SDK's client is async, and the session's sync Playwright keeps an event loop
running on the main thread: `in_own_loop` runs a coroutine on a thread of its own.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from tests.helpers.stack import ROOT, Stack, _stop, _wait_http, free_port

T = TypeVar("T")


@dataclass
class McpServer:
    url: str  # the MCP endpoint, which is also the tokens' audience
    log: Path

    @property
    def metadata_url(self) -> str:
        """RFC 9728 §3.1: the well-known path inserted before the resource's path."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}/.well-known/oauth-protected-resource{parts.path}"

    def refusals(self) -> list[str]:
        """Why the server refused tokens, in order (the exception names it logs)."""
        return re.findall(r"bearer token refused: (\w+)", self.log.read_text())


@contextmanager
def running_mcp_server(stack: Stack, log_dir: Path) -> Iterator[McpServer]:
    url = f"http://127.0.0.1:{free_port()}/mcp"
    stack.admin("resource", "create", "--uri", url, "--scope", "tools:call", "--open")
    env = {
        **stack.env,
        "GATEHOUSE_ISSUER": stack.issuer,
        "MCP_SERVER_URL": url,
        "COLUMNS": "200",  # the SDK logs through rich, which wraps lines at 80 columns in a file
    }
    log = log_dir / "mcp-server.log"
    process = subprocess.Popen(
        [sys.executable, "examples/mcp-server/server.py"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    server = McpServer(url=url, log=log)
    try:
        _wait_http(server.metadata_url)
        yield server
    finally:
        _stop(process)


def in_own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end on an event loop in a thread of its own."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
