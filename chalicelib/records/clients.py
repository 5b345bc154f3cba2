"""Clients: lookup (cached per container), authentication, redirect-URI matching.

RFC 6749 §2.3.1 (client_secret_basic / client_secret_post), §2.1 (public clients, `none`),
§3.1.2.3 and RFC 9700 §4.1.3 (exact redirect-URI matching), RFC 8252 §7.3 (loopback
redirects match on any port). Decisions: a request uses exactly one authentication method
and it must be the one the client registered; secrets are compared as SHA-256 digests in
constant time; records are cached per container for `CLIENT_CACHE_SECONDS` so a warm token
request reads nothing from DynamoDB. The cache holds at most `CLIENT_CACHE_SIZE` clients
(1000), the least recently used going first. Ids that matched no client are cached too (a
repeated unknown id costs one read per `CLIENT_CACHE_SECONDS`, not one per request), but in
their own, smaller LRU (`CLIENT_MISS_CACHE_SIZE`, 100), so unknown ids, which anyone can
make up by the million, never push a known client out. RFC 8707 §2: a client may ask tokens
only for its own `resources` (absolute URIs without a fragment); a record without any
(registered before resources were) has `DEFAULT_AUDIENCE` alone. A dynamically registered
client (RFC 7591) carries `expires_at`: past it the client is unknown here, whatever
DynamoDB's lazy TTL has not yet deleted (records/dynamic_registration.py extends it on use).
"""

from __future__ import annotations

import hmac
import time
from urllib.parse import urlsplit, urlunsplit

from chalice.app import Request

from chalicelib import observability
from chalicelib.config import get_settings
from chalicelib.errors import InvalidClient, InvalidRequest
from chalicelib.http import Params, basic_credentials
from chalicelib.models import ClientModel, conditional_write, now
from chalicelib.opaque import sha256_hex
from chalicelib.records.client_records import (  # noqa: F401 - the names callers import
    AUTH_METHODS,
    LOOPBACK_HOSTS,
    Client,
    from_record,
    is_resource_uri,
)
from chalicelib.records.lru import LRU

MAX_CLIENT_ID = 200
DAY = 86400
_DUMMY_HASH = sha256_hex("gatehouse-dummy-secret")


# Known clients and ids that matched none are kept apart: a flood of made-up client_ids can
# push out only other made-up ids, never a client that real traffic keeps in use.
_known: LRU[tuple[float, Client]] = LRU()
_unknown: LRU[float] = LRU()


def reset_cache() -> None:
    _known.clear()
    _unknown.clear()


def get_client(client_id: str) -> Client | None:
    """The client, or None if unknown; cached (unknown ids apart) for CLIENT_CACHE_SECONDS."""
    if not client_id or len(client_id) > MAX_CLIENT_ID:
        return None
    settings = get_settings()
    fresh_since = time.monotonic() - settings.client_cache_seconds
    hit = _known.get(client_id)
    if hit is not None and hit[0] > fresh_since:
        return _unexpired(hit[1])
    missed_at = _unknown.get(client_id)
    if missed_at is not None and missed_at > fresh_since:
        return None
    try:
        client = _load(client_id)
    except ClientModel.DoesNotExist:
        client = None
    if client is None:
        _known.pop(client_id)
        _unknown.put(client_id, time.monotonic(), settings.client_miss_cache_size)
        return None
    _unknown.pop(client_id)
    _known.put(client_id, (time.monotonic(), client), settings.client_cache_size)
    return _unexpired(client)


def _load(client_id: str) -> Client | None:
    """The stored client, or the one a Client ID Metadata Document describes."""
    if client_id.startswith(("https://", "http://")):
        from chalicelib.records import client_documents

        return client_documents.resolve(client_id)
    return from_record(ClientModel.get(client_id))


def _unexpired(client: Client) -> Client | None:
    return None if client.expires_at is not None and client.expires_at <= now() else client


def keep_alive(client: Client) -> None:
    """A dynamically registered client used at /authorize lives `REGISTERED_CLIENT_IDLE_DAYS`
    more: one write a day at most; clients an administrator made never expire."""
    idle = get_settings().registered_client_idle_days * DAY
    if client.expires_at is None or client.expires_at - now() > idle - DAY:
        return
    extended = [ClientModel.expires_at.set(now() + idle)]
    alive = ClientModel.client_id.exists()
    conditional_write(ClientModel(client.client_id).update, actions=extended, condition=alive)
    forget(client.client_id)


def forget(client_id: str) -> None:
    """Drop a client from this container's cache (after it was changed or deleted here)."""
    _known.pop(client_id)


def all_clients() -> list[Client]:
    return [from_record(record) for record in ClientModel.scan()]


def delete_client(client_id: str) -> None:
    """Remove a client; DoesNotExist if there is none."""
    ClientModel.get(client_id, consistent_read=True).delete()
    _known.pop(client_id)


def authenticate(request: Request, params: Params) -> Client:
    """Authenticate the calling client by exactly one method (RFC 6749 §2.3)."""
    basic = basic_credentials(request)
    form_secret = params.get("client_secret")
    form_id = params.get("client_id")
    observability.note(client_id=basic[0] if basic else form_id)
    if basic and form_secret:
        raise InvalidRequest("Use exactly one client authentication method")
    if basic:
        if form_id and form_id != basic[0]:
            raise InvalidRequest("client_id does not match the Authorization header")
        return _check_secret(basic[0], basic[1], "client_secret_basic")
    if form_secret:
        return _check_secret(form_id or "", form_secret, "client_secret_post")
    if not form_id:
        raise InvalidClient("Client authentication required", basic=True)
    client = get_client(form_id)
    if client is None or not client.public or client.token_endpoint_auth_method != "none":
        raise InvalidClient("Client authentication failed", detail="public auth refused")
    return client


def _check_secret(client_id: str, secret: str, method: str) -> Client:
    basic = method == "client_secret_basic"
    client = get_client(client_id)
    expected = client.secret_hash if client and client.secret_hash else _DUMMY_HASH
    matches = hmac.compare_digest(sha256_hex(secret), expected)
    if client is None or not matches or client.public:
        raise InvalidClient("Client authentication failed", basic=basic)
    if client.token_endpoint_auth_method != method:
        raise InvalidClient(
            f"Client is registered for {client.token_endpoint_auth_method}", basic=basic
        )
    return client


def _loopback_key(uri: str) -> str | None:
    """The URI without its port if it is a loopback http URI (RFC 8252 §7.3), else None."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS:
        return None
    host = "[::1]" if parts.hostname == "::1" else parts.hostname
    if parts.netloc != (f"{host}:{port}" if port is not None else host):
        return None  # userinfo, odd casing or an empty port: not a plain loopback URI
    return urlunsplit(("http", host, parts.path, parts.query, parts.fragment))


def match_redirect_uri(client: Client, uri: str) -> bool:
    """Exact string match, except that loopback http URIs match on any port."""
    if uri in client.redirect_uris:
        return True
    asked = _loopback_key(uri)
    return asked is not None and any(_loopback_key(r) == asked for r in client.redirect_uris)
