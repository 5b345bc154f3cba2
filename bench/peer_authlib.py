"""The peer: the same client_credentials work on Authlib's AuthorizationServer under Flask.

Form parse, client_secret_basic checked against a stored SHA-256 of the secret (as
Gatehouse stores secrets: records/registration.py), the scope checked against the client's,
an RFC 9068 JWT (Authlib's own rfc9068 generator: typ at+jwt, ES256 with the floor's key)
and the JSON response, driven through Flask's test client. The client lives in memory: the
peer reads no database, as a warm Gatehouse container reads none for a cached client.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from flask import Flask
from joserfc.jwk import ECKey

from bench.floor_pyjwt import AUDIENCE, CLIENT_ID, ISSUER, LIFETIME, SCOPE, es256_key
from bench.timing import cpu_us_per_call


@dataclass
class MemoryClient(ClientMixin):
    client_id: str
    secret_hash: str
    scope: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        allowed = set(self.scope.split())
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        digest = hashlib.sha256(client_secret.encode()).hexdigest()
        return hmac.compare_digest(digest, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic"

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class TokenGenerator(JWTBearerTokenGenerator):
    def get_jwks(self) -> Any:
        return _jwk()

    def get_audiences(self, client: Any, user: Any, scope: str) -> str:
        return AUDIENCE


_JWK: list[ECKey] = []


def _jwk() -> ECKey:
    if not _JWK:
        _JWK.append(ECKey.import_key(es256_key(), {"kid": "bench"}))
    return _JWK[0]


def build() -> tuple[Any, dict[str, str]]:
    """(Flask test client, headers of a client_credentials request)."""
    secret = secrets.token_urlsafe(32)
    client = MemoryClient(CLIENT_ID, hashlib.sha256(secret.encode()).hexdigest(), SCOPE)
    app = Flask("peer")
    server = AuthorizationServer(
        app,
        query_client=lambda client_id: client if client_id == CLIENT_ID else None,
        save_token=lambda token, request: None,
    )
    server.register_grant(grants.ClientCredentialsGrant)
    server.register_token_generator(
        "default",
        TokenGenerator(ISSUER, alg="ES256", expires_generator=lambda c, g: LIFETIME),
    )
    app.add_url_rule("/token", "token", server.create_token_response, methods=["POST"])
    raw = base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()
    headers = {"Authorization": f"Basic {raw}"}
    return app.test_client(), headers


FORM = {"grant_type": "client_credentials", "scope": SCOPE}


def run(calls: int = 300, rounds: int = 7) -> dict[str, Any]:
    http, headers = build()

    def token() -> None:
        response = http.post("/token", data=FORM, headers=headers)
        assert response.status_code == 200, response.data

    return {"ES256": {"cpu_us_per_token": cpu_us_per_call(token, calls, rounds)}}
