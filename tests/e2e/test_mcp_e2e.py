"""An MCP server protected by Gatehouse, end to end, with the MCP SDK's own OAuth client.

examples/mcp-server runs as a subprocess against a `chalice local` stack that allows open
registration. The SDK client meets the server's 401, discovers Gatehouse from the RFC 9728
metadata it names, registers (once through /register, once with a Client ID Metadata
Document served over https on loopback), sends a person through sign-in and consent in
Chromium, gets a token for the server's URL, calls a tool, and refreshes when the short-lived
access token runs out. What the server itself accepts and refuses is in
test_mcp_server_e2e.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.helpers.documents import Served, certificate, serving
from tests.helpers.mcp_server import in_own_loop, running_mcp_server
from tests.helpers.stack import CHROMIUM, CHROMIUM_ARGS, Stack, free_port, running_stack

PASSWORD = "correct horse battery"
USER = "mcp-user"
LIFETIME = 4  # seconds: the second tool call needs a refresh


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: the https a metadata document needs."""
    return certificate(tmp_path_factory.mktemp("tls"), "127.0.0.1")


@pytest.fixture(scope="module")
def mcp_stack(tmp_path_factory: pytest.TempPathFactory, tls: tuple[Path, Path]) -> Iterator[Stack]:
    """Gatehouse with open registration; it trusts the test's certificate (SSL_CERT_FILE)."""
    settings = {"REGISTRATION": "open", "ACCESS_TOKEN_LIFETIME": str(LIFETIME),
                "SSL_CERT_FILE": str(tls[0])}  # fmt: skip
    with running_stack(tmp_path_factory, **settings) as stack:
        stack.admin("user", "create", "--username", USER, "--password-stdin",
                    stdin=PASSWORD + "\n")  # fmt: skip
        yield stack


@pytest.fixture(scope="module")
def mcp_server(mcp_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_mcp_server(mcp_stack, tmp_path_factory.mktemp("mcp")) as server:
        yield server.url


class Memory:
    """The SDK's TokenStorage, in memory; keeps every token set it was given."""

    def __init__(self) -> None:
        self.tokens: Any = None
        self.client: Any = None
        self.history: list[Any] = []

    async def get_tokens(self) -> Any:
        return self.tokens

    async def set_tokens(self, tokens: Any) -> None:
        self.tokens = tokens
        self.history.append(tokens)

    async def get_client_info(self) -> Any:
        return self.client

    async def set_client_info(self, client_info: Any) -> None:
        self.client = client_info


def new_redirect() -> str:
    return f"http://127.0.0.1:{free_port()}/callback"


async def sign_in_and_call(
    mcp_server: str, redirect: str, metadata_url: str | None = None
) -> dict[str, Any]:
    """The SDK client against the MCP server; Chromium plays the person. Returns what the
    tools answered, what was stored and what the browser saw."""
    import httpx2
    from mcp.client.auth.oauth2 import OAuthClientProvider
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata
    from playwright.async_api import async_playwright

    seen: dict[str, Any] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
        landed: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        async def callback(route: Any) -> None:
            if not landed.done():
                landed.set_result(route.request.url)
            await route.fulfill(body="You can close this window.")

        await page.route(f"{redirect}**", callback)

        async def redirect_handler(url: str) -> None:
            seen["authorize"] = url
            await page.goto(url)
            await page.fill("input[name=username]", USER)
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_selector("button[value=approve]")
            seen["consent"] = await page.content()
            await page.click("button[value=approve]")

        async def callback_handler() -> AuthorizationCodeResult:
            query = {k: v[0] for k, v in parse_qs(urlsplit(await landed).query).items()}
            return AuthorizationCodeResult(code=query["code"], state=query.get("state"),
                                           iss=query.get("iss"))  # fmt: skip

        storage = Memory()
        provider = OAuthClientProvider(
            server_url=mcp_server,
            client_metadata=OAuthClientMetadata(
                client_name="MCP e2e client",
                redirect_uris=[redirect],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
            ),
            storage=storage,
            redirect_handler=redirect_handler,
            callback_handler=callback_handler,
            client_metadata_url=metadata_url,
        )
        answers = []
        async with (
            httpx2.AsyncClient(auth=provider, timeout=30) as http,
            streamable_http_client(mcp_server, http_client=http) as streams,
            ClientSession(streams[0], streams[1]) as session,
        ):
            await session.initialize()
            tools = await session.list_tools()
            answers.append(await session.call_tool("whoami", {}))
            await asyncio.sleep(LIFETIME + 1)  # the access token has expired
            answers.append(await session.call_tool("add", {"a": 2, "b": 3}))
        await browser.close()
    return {"tools": tools, "answers": answers, "storage": storage, "seen": seen}


def structured(result: Any) -> Any:
    if result.structured_content is not None:
        return result.structured_content.get("result", result.structured_content)
    return json.loads(result.content[0].text)


def check(outcome: dict[str, Any], mcp_server: str) -> None:
    import jwt

    assert {tool.name for tool in outcome["tools"].tools} >= {"whoami", "add"}
    whoami, added = outcome["answers"]
    assert not whoami.is_error and not added.is_error
    assert structured(added) == 5
    storage = outcome["storage"]
    first = storage.history[0].access_token
    claims = jwt.decode(first, options={"verify_signature": False})
    assert claims["aud"] == mcp_server and "tools:call" in claims["scope"].split()
    assert structured(whoami)["sub"] == claims["sub"]
    # the second call needed a refresh: a new access token and a rotated refresh token
    assert len(storage.history) >= 2
    assert storage.history[-1].access_token != first
    assert storage.history[-1].refresh_token != storage.history[0].refresh_token
    assert f"resource={requests.utils.quote(mcp_server, safe='')}" in outcome["seen"]["authorize"]


def test_the_sdk_client_registers_signs_in_calls_a_tool_and_refreshes(
    mcp_stack: Stack, mcp_server: str
) -> None:
    outcome = in_own_loop(sign_in_and_call(mcp_server, new_redirect()))
    check(outcome, mcp_server)
    client = outcome["storage"].client
    assert client.client_id and not client.client_id.startswith("http")
    assert 'id="unverified"' in outcome["seen"]["consent"]  # it registered itself


@pytest.fixture
def metadata_document(tls: tuple[Path, Path]) -> Iterator[Served]:
    """A Client ID Metadata Document's host: https on loopback."""
    with serving(tls) as served:
        yield served


def test_the_sdk_client_uses_a_client_id_metadata_document(
    mcp_stack: Stack, mcp_server: str, metadata_document: Served
) -> None:
    url, redirect = metadata_document.base + "/clients/e2e.json", new_redirect()
    metadata_document.json("/clients/e2e.json", {
        "client_id": url, "client_name": "Metadata document client", "redirect_uris": [redirect],
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    })  # fmt: skip
    outcome = in_own_loop(sign_in_and_call(mcp_server, redirect, metadata_url=url))
    check(outcome, mcp_server)
    assert outcome["storage"].client.client_id == url
    assert metadata_document.hits["/clients/e2e.json"] >= 1
    assert "127.0.0.1" in outcome["seen"]["consent"]
