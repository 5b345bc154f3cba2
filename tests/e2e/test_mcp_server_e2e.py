"""What the example MCP server (examples/mcp-server) accepts and refuses, against a running
Gatehouse: the rules a resource server copied from it keeps.

Tokens come from Gatehouse over HTTP (Authlib, client credentials with RFC 8707 `resource`)
and reach the server through the MCP SDK's own streamable HTTP client. What the server
answers without a usable token is held to RFC 6750 §3 and RFC 9728 §5.1; the SDK's own
discovery helpers (what its OAuthClientProvider runs on a 401) find Gatehouse from it. The
SDK's whole OAuth flow, registration included, is test_mcp_e2e.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx2
import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from mcp.client import Client
from mcp.client.auth.utils import (
    build_oauth_authorization_server_metadata_discovery_urls,
    build_protected_resource_metadata_discovery_urls,
    create_oauth_metadata_request,
    extract_resource_metadata_from_www_auth,
    handle_auth_metadata_response,
    handle_protected_resource_response,
    validate_metadata_issuer,
)
from mcp.client.streamable_http import streamable_http_client

from tests.helpers.forged import attacker_key
from tests.helpers.mcp_server import McpServer, in_own_loop, running_mcp_server
from tests.helpers.stack import ROOT, Stack

# An MCP request as any client's first: initialize (MCP 2025-06-18, streamable HTTP).
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "e2e", "version": "1"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream"}


@pytest.fixture(scope="module")
def mcp_server(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[McpServer]:
    with running_mcp_server(stack, tmp_path_factory.mktemp("mcp")) as server:
        yield server


def machine_client(stack: Stack, *flags: str, scope: str = "tools:call") -> dict[str, Any]:
    return stack.admin(
        "client", "create", "--name", "MCP agent", "--grant-type", "client_credentials",
        "--scope", scope, *flags,
    )  # fmt: skip


def token_for(stack: Stack, client: dict[str, Any], **params: str) -> str:
    oauth = OAuth2Session(client["client_id"], client["client_secret"], scope=client["scope"])
    token = oauth.fetch_token(f"{stack.issuer}/token", grant_type="client_credentials", **params)
    return token["access_token"]


def mcp_post(mcp_server: McpServer, token: str | None = None) -> requests.Response:
    headers = {**ACCEPT, **({"Authorization": f"Bearer {token}"} if token else {})}
    return requests.post(mcp_server.url, json=INITIALIZE, headers=headers, timeout=10)


def call_tools(url: str, token: str, calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """With the SDK's client and `token` as its bearer token: the tool names, and each call's
    structured result."""

    async def run() -> dict[str, Any]:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"})
        async with http, Client(streamable_http_client(url, http_client=http)) as session:
            tools = await session.list_tools()
            results = [await session.call_tool(name, arguments) for name, arguments in calls]
        assert not any(result.is_error for result in results), results
        return {
            "tools": sorted(tool.name for tool in tools.tools),
            "results": [result.structured_content for result in results],
        }

    return in_own_loop(run())


def challenge(response: requests.Response) -> dict[str, str]:
    """The Bearer challenge's parameters (RFC 6750 §3)."""
    header = response.headers["WWW-Authenticate"]
    assert header.startswith("Bearer "), header
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def test_request_without_token_is_401_pointing_at_metadata_that_names_gatehouse(
    stack: Stack, mcp_server: McpServer
) -> None:
    # When a client calls the MCP server with no token
    response = mcp_post(mcp_server)

    # Then it gets 401 with a Bearer challenge naming the RFC 9728 metadata (path inserted)
    assert response.status_code == 401
    params = challenge(response)
    assert params["resource_metadata"] == mcp_server.metadata_url
    assert mcp_server.metadata_url.endswith("/.well-known/oauth-protected-resource/mcp")
    # and that document names this server as the resource and Gatehouse's issuer, verbatim
    metadata = requests.get(params["resource_metadata"], timeout=10).json()
    assert metadata["resource"] == mcp_server.url
    assert metadata["authorization_servers"] == [stack.issuer]
    assert metadata["scopes_supported"] == ["tools:call"]
    assert metadata["bearer_methods_supported"] == ["header"]


def test_sdk_discovery_from_the_401_finds_gatehouse_metadata_at_its_issuer(
    stack: Stack, mcp_server: McpServer
) -> None:
    # Given the SDK's own discovery steps (those OAuthClientProvider runs on a 401)
    async def discover() -> tuple[Any, Any, list[str]]:
        async with httpx2.AsyncClient() as http:
            unauthorized = await http.post(mcp_server.url, json=INITIALIZE, headers=ACCEPT)
            resource_urls = build_protected_resource_metadata_discovery_urls(
                extract_resource_metadata_from_www_auth(unauthorized), mcp_server.url
            )
            prm = await handle_protected_resource_response(
                await http.send(create_oauth_metadata_request(resource_urls[0]))
            )
            issuer = str(prm.authorization_servers[0])
            tried, asm = [], None
            for url in build_oauth_authorization_server_metadata_discovery_urls(
                issuer, mcp_server.url
            ):
                tried.append(url)
                _, asm = await handle_auth_metadata_response(
                    await http.send(create_oauth_metadata_request(url))
                )
                if asm is not None:
                    break
            validate_metadata_issuer(asm, issuer)  # RFC 8414 §3.3, as the SDK checks it
            return prm, asm, tried

    # When they run against the MCP server's 401
    prm, asm, tried = in_own_loop(discover())

    # Then the issuer (no path) is found at its RFC 8414 location, first try
    assert str(prm.authorization_servers[0]) == stack.issuer
    assert tried == [f"{stack.issuer}/.well-known/oauth-authorization-server"]
    assert str(asm.token_endpoint) == f"{stack.issuer}/token"
    assert str(asm.authorization_endpoint) == f"{stack.issuer}/authorize"
    assert asm.code_challenge_methods_supported == ["S256"]  # MCP requires S256
    assert asm.authorization_response_iss_parameter_supported is True  # the SDK checks iss


def test_token_for_the_mcp_server_lists_tools_and_whoami_carries_its_subject(
    stack: Stack, mcp_server: McpServer
) -> None:
    # Given a machine client registered for the MCP server's URL as a resource
    client = machine_client(stack, "--resource", mcp_server.url)
    # When it gets a token for that resource and calls tools with the SDK's client
    token = token_for(stack, client, resource=mcp_server.url)
    seen = call_tools(mcp_server.url, token, [("whoami", {}), ("add", {"a": 2, "b": 40})])

    # Then the server lists its tools and whoami speaks for the token's subject
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == mcp_server.url
    assert seen["tools"] == ["add", "whoami"]
    whoami, added = seen["results"]
    assert whoami == {
        "sub": claims["sub"],
        "client_id": client["client_id"],
        "scopes": ["tools:call"],
    }
    assert claims["sub"] == client["client_id"]  # client credentials: the client is the subject
    assert added == {"result": 42}


def test_token_for_another_audience_is_401_invalid_token(
    stack: Stack, mcp_server: McpServer
) -> None:
    # Given a client whose tokens are for Gatehouse's default audience, not the MCP server
    client = machine_client(stack)
    token = token_for(stack, client)
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == "urn:gatehouse:api"

    # When it calls the MCP server, then it is refused as RFC 6750 §3.1 says
    response = mcp_post(mcp_server, token)
    assert response.status_code == 401
    params = challenge(response)
    assert params["error"] == "invalid_token"
    assert params["resource_metadata"] == mcp_server.metadata_url
    assert mcp_server.refusals()[-1] == "InvalidAudienceError"


def test_token_without_the_required_scope_is_403_insufficient_scope(
    stack: Stack, mcp_server: McpServer
) -> None:
    # Given a token for the MCP server that carries only tools:read
    client = machine_client(stack, "--resource", mcp_server.url, scope="tools:read")
    token = token_for(stack, client, resource=mcp_server.url)

    # When it calls the server, then RFC 6750 §3.1: 403 insufficient_scope
    response = mcp_post(mcp_server, token)
    assert response.status_code == 403
    params = challenge(response)
    assert params["error"] == "insufficient_scope"
    assert "tools:call" in params["error_description"]


def test_expired_token_is_401_invalid_token(stack: Stack, mcp_server: McpServer) -> None:
    # Given a token for the MCP server that lives one second
    client = machine_client(stack, "--resource", mcp_server.url, "--access-token-lifetime", "1")
    token = token_for(stack, client, resource=mcp_server.url)
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]

    # When it is presented after its exp
    time.sleep(max(0.0, exp + 1 - time.time()))
    response = mcp_post(mcp_server, token)

    # Then it is refused, for its expiry
    assert response.status_code == 401
    assert challenge(response)["error"] == "invalid_token"
    assert mcp_server.refusals()[-1] == "ExpiredSignatureError"


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_valid_token_of_either_algorithm_opens_an_mcp_session(
    stack: Stack, mcp_server: McpServer, alg: str
) -> None:
    # The control for the refusals above: the same request with a good token is answered
    client = machine_client(stack, "--resource", mcp_server.url, "--access-token-alg", alg)
    token = token_for(stack, client, resource=mcp_server.url)
    assert jwt.get_unverified_header(token)["alg"] == alg
    response = mcp_post(mcp_server, token)
    assert response.status_code == 200
    assert response.headers["mcp-session-id"]


def access_claims(stack: Stack, mcp_server: McpServer) -> dict[str, Any]:
    """Claims of a token the MCP server would accept (RFC 9068 §2.2)."""
    now = int(time.time())
    return {
        "iss": stack.issuer, "sub": "mallory", "aud": mcp_server.url, "exp": now + 300,
        "iat": now, "jti": uuid.uuid4().hex, "client_id": "mallory", "scope": "tools:call",
    }  # fmt: skip


def signed_by_gatehouse(stack: Stack, claims: dict[str, Any], typ: str) -> str:
    """A JWT signed by the stack's own active key (KMS in the emulator), as Gatehouse signs."""
    code = (
        "import json, sys; from chalicelib.admin import apply_stage_env; "
        "apply_stage_env('local'); from chalicelib.signing.jws import sign_jwt; "
        "print(sign_jwt(json.loads(sys.argv[1]), typ=sys.argv[2]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(claims), typ],
        cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("typ", "status"), [("at+jwt", 200), ("application/at+jwt", 200), ("JWT", 401)]
)
def test_jwt_signed_by_gatehouse_is_accepted_only_when_typed_as_an_access_token(
    stack: Stack, mcp_server: McpServer, typ: str, status: int
) -> None:
    # Given a JWT with every claim right, signed by Gatehouse's own key, typed `typ`
    token = signed_by_gatehouse(stack, access_claims(stack, mcp_server), typ)
    # Then only an RFC 9068 access token opens a session: typ at+jwt, or its media type
    # spelled out (RFC 9068 §4, RFC 8725 §3.11)
    assert mcp_post(mcp_server, token).status_code == status
    if status == 401:
        assert mcp_server.refusals()[-1] == "InvalidTokenError"


def test_token_signed_by_another_key_under_gatehouse_kid_is_401(
    stack: Stack, mcp_server: McpServer
) -> None:
    # Given a token with every claim right but signed by an attacker under Gatehouse's kid
    keys = requests.get(f"{stack.issuer}/jwks.json", timeout=10).json()["keys"]
    kid = next(key["kid"] for key in keys if key["kty"] == "RSA")
    token = jwt.encode(
        access_claims(stack, mcp_server), attacker_key(), algorithm="RS256",
        headers={"kid": kid, "typ": "at+jwt"},
    )  # fmt: skip
    # Then its signature does not verify against Gatehouse's JWKS
    response = mcp_post(mcp_server, token)
    assert response.status_code == 401
    assert challenge(response)["error"] == "invalid_token"
    assert mcp_server.refusals()[-1] == "InvalidSignatureError"
