"""An MCP server protected by Gatehouse: the resource-server side of the MCP authorization
specification, on the `mcp` Python SDK.

* RFC 9728: the SDK serves protected resource metadata at
  `/.well-known/oauth-protected-resource/mcp`, naming Gatehouse as the authorization server.
* RFC 6750: a request without a valid token gets 401 with
  `WWW-Authenticate: Bearer resource_metadata="..."`, which is how an MCP client finds out
  where to sign in; a token without the required scope gets 403 insufficient_scope.
* RFC 9068 + RFC 8707: tokens are Gatehouse's JWT access tokens, verified offline against its
  JWKS (found through its discovery document, whose `issuer` must be GATEHOUSE_ISSUER):
  `typ` `at+jwt` (RFC 9068 §4), the issuer, the algorithms Gatehouse signs with, `exp`, and
  the audience: this server's own URL, which clients send as `resource` when they ask
  Gatehouse for a token. Why a token was refused is logged (never the token itself).

Run: GATEHOUSE_ISSUER=http://127.0.0.1:8000 MCP_SERVER_URL=http://127.0.0.1:8001/mcp \\
     python examples/mcp-server/server.py
It listens where MCP_SERVER_URL points unless MCP_HOST and MCP_PORT say otherwise (behind a
proxy that terminates TLS for https://mcp.example.com/mcp: MCP_HOST=0.0.0.0 MCP_PORT=8001).
"""

from __future__ import annotations

import asyncio
import logging
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
ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")  # RFC 9068 §4, case-insensitive
logger = logging.getLogger("mcp-server")


@cache
def jwks_client() -> jwt.PyJWKClient:
    """Gatehouse's keys, from the jwks_uri its discovery document names (cached by PyJWT)."""
    response = requests.get(f"{ISSUER}/.well-known/oauth-authorization-server", timeout=10)
    response.raise_for_status()
    metadata = response.json()
    if metadata["issuer"] != ISSUER:  # RFC 8414 §3.3
        raise ValueError(f"discovery names issuer {metadata['issuer']!r}, not {ISSUER!r}")
    return jwt.PyJWKClient(metadata["jwks_uri"], cache_keys=True, lifespan=300)


def verify(token: str) -> AccessToken | None:
    try:
        typ = str(jwt.get_unverified_header(token).get("typ", ""))
        if typ.lower() not in ACCESS_TOKEN_TYPES:
            raise jwt.InvalidTokenError(f"typ {typ!r} is not an access token's")
        key = jwks_client().get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key,  # a PyJWK: the token's alg must also be its key's
            algorithms=ALGORITHMS,
            issuer=ISSUER,
            audience=SERVER_URL,
            options={"require": ["exp", "iat", "sub", "client_id"]},
        )
    except (jwt.PyJWTError, requests.RequestException, ValueError, KeyError) as exc:
        logger.info("bearer token refused: %s", type(exc).__name__)
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
    host = os.environ.get("MCP_HOST") or parts.hostname or "127.0.0.1"
    port = int(os.environ.get("MCP_PORT") or parts.port or 443)
    # a loopback host turns on the SDK's DNS-rebinding protection (loopback Host headers only)
    app = mcp.streamable_http_app(streamable_http_path=parts.path, host=host)
    uvicorn.run(app, host=host, port=port, log_level="warning")


if __name__ == "__main__":
    main()
