"""The client record as the code sees it: `Client`, built from a ClientModel or from a
Client ID Metadata Document (records/client_documents.py), and the URI rules its fields
share. Lookup, caching and authentication are records/clients.py's.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from urllib.parse import urlsplit

from chalicelib.config import get_settings
from chalicelib.errors import UnauthorizedClient
from chalicelib.models import ClientModel

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})
# RFC 3986 §2: unreserved, reserved and "%" (percent-encoding); without "#" (no fragment)
URI_CHARS = frozenset(string.ascii_letters + string.digits + "-._~:/?[]@!$&'()*+,;=%")


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    secret_hash: str | None
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    response_types: tuple[str, ...]
    scope: str
    token_endpoint_auth_method: str
    public: bool
    allow_tokens_via_browser: bool
    require_pkce: bool
    allow_plain_pkce: bool
    can_introspect: bool
    id_token_signed_response_alg: str
    access_token_lifetime: int | None
    resources: tuple[str, ...] = ()
    access_token_signed_response_alg: str | None = None  # None: the stage's ACCESS_TOKEN_ALG
    registered_by: str = "admin"  # "admin", or RFC 7591 /register: "open" or "token"
    client_uri: str | None = None  # unverified self-description of a registered client
    logo_uri: str | None = None
    expires_at: int | None = None  # dynamically registered clients expire when unused
    jwks: str | None = None  # private_key_jwt: a JWK Set (JSON text), or
    jwks_uri: str | None = None  # where the client publishes it
    token_endpoint_auth_signing_alg: str | None = None
    require_mfa: bool = False  # every sign-in for it must be multi-factor

    @property
    def claimed_site(self) -> str:
        """The host a consent page names: a metadata document's own, else `client_uri`'s."""
        site = self.client_id if self.registered_by == "document" else self.client_uri or ""
        return urlsplit(site).netloc

    @property
    def self_registered(self) -> bool:
        """Registered through /register: its name and URIs are its own claims, unverified."""
        return self.registered_by != "admin"

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    def allows_grant(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    def require_grant(self, grant_type: str) -> None:
        """RFC 6749 §5.2 unauthorized_client unless registered for `grant_type`."""
        if not self.allows_grant(grant_type):
            raise UnauthorizedClient(f"Client is not registered for {grant_type}")


def from_record(record: ClientModel) -> Client:
    return Client(
        client_id=record.client_id,
        name=record.name,
        secret_hash=record.secret_hash,
        redirect_uris=tuple(record.redirect_uris or ()),
        post_logout_redirect_uris=tuple(record.post_logout_redirect_uris or ()),
        grant_types=tuple(record.grant_types or ()),
        response_types=tuple(record.response_types or ()),
        scope=record.scope or "",
        token_endpoint_auth_method=record.token_endpoint_auth_method,
        public=bool(record.public),
        allow_tokens_via_browser=bool(record.allow_tokens_via_browser),
        require_pkce=bool(record.require_pkce),
        allow_plain_pkce=bool(record.allow_plain_pkce),
        can_introspect=bool(record.can_introspect),
        id_token_signed_response_alg=record.id_token_signed_response_alg or "RS256",
        access_token_lifetime=int(record.access_token_lifetime)
        if record.access_token_lifetime
        else None,
        resources=tuple(record.resources or ()) or (get_settings().default_audience,),
        access_token_signed_response_alg=record.access_token_signed_response_alg or None,
        registered_by=record.registered_by or "admin",
        client_uri=record.client_uri,
        logo_uri=record.logo_uri,
        expires_at=int(record.expires_at) if record.expires_at else None,
        jwks=record.jwks,
        jwks_uri=record.jwks_uri,
        token_endpoint_auth_signing_alg=record.token_endpoint_auth_signing_alg,
        require_mfa=bool(record.require_mfa),
    )


def is_resource_uri(value: str) -> bool:
    """RFC 8707 §2: a resource indicator is an absolute URI (RFC 3986 §4.3: a scheme, then
    the rest; `urn:` ones included) without a fragment, in URI characters (§2)."""
    if not set(value) <= URI_CHARS:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return bool(parts.scheme) and bool(value[len(parts.scheme) + 1 :].strip("/"))
