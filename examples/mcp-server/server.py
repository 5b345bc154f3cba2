"""An MCP server protected by Gatehouse: the resource-server side of the MCP authorization
specification, on the `mcp` Python SDK.

* RFC 9728: the SDK serves protected resource metadata at
  `/.well-known/oauth-protected-resource/mcp`, naming Gatehouse as the authorization server.
* RFC 6750: a request without a valid token gets 401 with
  `WWW-Authenticate: Bearer resource_metadata="..."`, which is how an MCP client finds out
  where to sign in; a token without the required scope gets 403 insufficient_scope.
* RFC 9068 + RFC 8707: tokens are Gatehouse's JWT access tokens, verified offline against its
  JWKS (found through its discovery document): `typ: at+jwt`, the issuer, the algorithms
  Gatehouse signs with, `exp`, and the audience: this server's own URL, which clients send
  as `resource` when they ask Gatehouse for a token.

Run: GATEHOUSE_ISSUER=http://127.0.0.1:8000 MCP_SERVER_URL=http://127.0.0.1:8001/mcp \\
     python examples/mcp-server/server.py
"""

from __future__ import annotations

import asyncio
import os
from functools import cache
from urllib.parse import urlsplit

import jwt
import requests
import uvicorn
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver.server import MCPServer

ISSUER = os.environ.get("GATEHOUSE_ISSUER", "http://127.0.0.1:8000").rstrip("/")
SERVER_URL = os.environ.get("MCP_SERVER_URL", "http://127.0.0.1:8001/mcp")
REQUIRED_SCOPES = os.environ.get("MCP_REQUIRED_SCOPES", "tools:call").split()
ALGORITHMS = ["RS256", "ES256"]  # what Gatehouse signs with; never "none" or HMAC


@cache
def jwks_client() -> jwt.PyJWKClient:
    """Gatehouse's keys, from the jwks_uri its discovery document names (cached by PyJWT)."""
    metadata = requests.get(f"{ISSUER}/.well-known/oauth-authorization-server", timeout=10)
    metadata.raise_for_status()
    return jwt.PyJWKClient(metadata.json()["jwks_uri"], cache_keys=True, lifespan=300)


def verify(token: str) -> AccessToken | None:
    try:
        if jwt.get_unverified_header(token).get("typ") != "at+jwt":
            return None
        key = jwks_client().get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=ALGORITHMS,
            issuer=ISSUER,
            audience=SERVER_URL,
            options={"require": ["exp", "iat", "sub", "client_id"]},
        )
    except (jwt.PyJWTError, requests.RequestException):
        return None
    return AccessToken(
        token=token,
        client_id=claims["client_id"],
        scopes=str(claims.get("scope", "")).split(),
        expires_at=claims["exp"],
        resource=SERVER_URL,
        subject=claims["sub"],
        claims={"iss": claims["iss"]},
    )


class GatehouseTokenVerifier:
    async def verify_token(self, token: str) -> AccessToken | None:
        return await asyncio.to_thread(verify, token)


mcp = MCPServer(
    "Gatehouse-protected tools",
    token_verifier=GatehouseTokenVerifier(),
    auth=AuthSettings(
        issuer_url=ISSUER,
        resource_server_url=SERVER_URL,
        required_scopes=REQUIRED_SCOPES,
        validate_token_resource=True,
    ),
)


@mcp.tool()
def whoami() -> dict[str, object]:
    """Who the caller is, as the access token says."""
    token = get_access_token()
    assert token is not None  # the bearer middleware let only valid tokens through
    return {"sub": token.subject, "client_id": token.client_id, "scopes": token.scopes}


@mcp.tool()
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def main() -> None:
    parts = urlsplit(SERVER_URL)
    app = mcp.streamable_http_app(streamable_http_path=parts.path, host=parts.hostname or "")
    host, port = parts.hostname or "127.0.0.1", parts.port or 443
    uvicorn.run(app, host=host, port=port, log_level="warning")


if __name__ == "__main__":
    main()
