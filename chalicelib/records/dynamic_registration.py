"""Dynamic client registration, RFC 7591 §2-§3, and its management, RFC 7592 §2.

The metadata is read field by field (types first, RFC 7591 §2 names), then handed to the
one validator the admin CLI uses (registration.client_meta), so a rule is written once.
Decisions where the RFCs leave a choice:
* Policy (`REGISTRATION`): `off` (default), `open` (anyone) or `token` (an initial access
  token from `admin registration-token create`, records/registration_tokens.py).
* Open registration (RFC 9700 §2.1.1, the MCP authorization profile) creates only public
  clients (`token_endpoint_auth_method` none) for the code flow with PKCE S256
  (`grant_types` authorization_code and optionally refresh_token, `response_types` code),
  with `https` or loopback `http` redirect URIs (RFC 8252 §7.3; no private-use schemes, which
  any app on a device can claim). Its resources are the open resource servers
  (records/resources.py) and its scopes only theirs plus openid, profile, email and
  offline_access; no scope asked means all of those.
* Token registration may create confidential clients (client_secret_basic/post) and any
  grant the admin CLI allows, with the same scope bound widened to SCOPES_SUPPORTED and
  every registered resource's scopes; its resources are DEFAULT_AUDIENCE and the open ones.
* Unknown metadata is ignored (RFC 7591 §2); `client_name`, `client_uri` and `logo_uri` are
  stored and shown on consent as the client's own, unverified, claims.
* The registration access token (RFC 7592 §3) is stored as SHA-256 only, so it cannot be
  shown again: every read or update answers with a new one (RFC 7592 §3 allows rotation)
  and the old one stops working, by a write conditioned on the old hash. A deleted client
  is gone at once; tokens already issued to it stop at their next check of the client. The
  client secret, stored hashed, is returned only when issued.
* A dynamically registered client expires `REGISTERED_CLIENT_IDLE_DAYS` after it was last
  used at /authorize (extended at most once a day, clients.keep_alive), and DynamoDB TTL removes it.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from chalicelib.config import get_settings
from chalicelib.errors import InvalidClientMetadata, InvalidRedirectUri, InvalidToken, RateLimited
from chalicelib.models import ClientModel, conditional_write, now
from chalicelib.opaque import new_value, sha256_hex
from chalicelib.records import ratelimit, registration, resources
from chalicelib.records.clients import LOOPBACK_HOSTS, Client, forget, from_record, get_client

OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
OPEN_GRANTS = ("authorization_code", "refresh_token")
STRINGS = ("client_name", "client_uri", "logo_uri", "scope", "token_endpoint_auth_method")
STRING_LISTS = ("redirect_uris", "grant_types", "response_types", "post_logout_redirect_uris")
DAY = 86400
HOUR = 3600


def admit(source_ip: str) -> None:
    """Count a registration against its source (an IPv4 address or IPv6 /64) per hour;
    429 past `REGISTRATION_RATE_PER_SOURCE` (0 turns the limit off)."""
    limit = get_settings().registration_rate_per_source
    if not limit:
        return
    window = ratelimit.add("register", ratelimit.source_subject(source_ip), 1, HOUR)
    if window.count > limit:
        raise RateLimited(
            "Too many registrations from this address. Retry after the time in Retry-After.",
            retry_after=max(1, int(window.ends_at - now())),
        )


def register(metadata: Any, mode: str) -> dict[str, Any]:
    """RFC 7591 §3.1-§3.2: create a client from `metadata` under policy `mode` (open/token)."""
    token = new_value()
    meta = _validated(_typed(metadata), mode)
    secret = None if meta["public"] else new_value()
    record = ClientModel(
        client_id=secrets.token_hex(16),
        secret_hash=sha256_hex(secret) if secret else None,
        registration_token_hash=sha256_hex(token),
        **meta,
    )
    record.save(condition=ClientModel.client_id.does_not_exist())
    return _information(record, token, secret)


def read(client_id: str, token: str) -> dict[str, Any]:
    """RFC 7592 §2.1: the client's metadata, with a new registration access token."""
    _, record = _managed(client_id, token)
    token = _rotate(record, {})
    return _information(record, token)


def update(client_id: str, token: str, metadata: Any) -> dict[str, Any]:
    """RFC 7592 §2.2: replace the client's metadata (same policy as when it registered)."""
    client, record = _managed(client_id, token)
    fields = _typed(metadata)
    if fields.pop("client_id", client_id) != client_id:
        raise InvalidClientMetadata("client_id does not match the client being updated")
    method = fields.setdefault("token_endpoint_auth_method", client.token_endpoint_auth_method)
    if method != client.token_endpoint_auth_method:
        raise InvalidClientMetadata("token_endpoint_auth_method cannot change")
    token = _rotate(record, _validated(fields, client.registered_by))
    return _information(record, token)


def delete(client_id: str, token: str) -> None:
    """RFC 7592 §2.3: remove the client (a lost race answers as an invalid token)."""
    _, record = _managed(client_id, token)
    held = ClientModel.registration_token_hash == record.registration_token_hash
    if not conditional_write(record.delete, condition=held):
        raise InvalidToken("The registration access token is not valid")
    forget(client_id)


def _managed(client_id: str, token: str) -> tuple[Client, ClientModel]:
    """The client this registration access token manages; RFC 7592 §2: 401 otherwise, the
    same for an unknown client as for a wrong token."""
    client = get_client(client_id)
    if client is not None:
        try:
            record = ClientModel.get(client_id, consistent_read=True)
        except ClientModel.DoesNotExist:
            record = None
        stored = record.registration_token_hash if record else None
        if stored and hmac.compare_digest(stored, sha256_hex(token)):
            return client, record
    raise InvalidToken("The registration access token is not valid")


def _rotate(record: ClientModel, meta: dict[str, Any]) -> str:
    """Store `meta` and a new registration token's hash, only if the old one still holds."""
    token = new_value()
    held = ClientModel.registration_token_hash == record.registration_token_hash
    actions = [ClientModel.registration_token_hash.set(sha256_hex(token))]
    for name, value in meta.items():
        attribute = getattr(ClientModel, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    if not conditional_write(record.update, actions=actions, condition=held):
        raise InvalidToken("The registration access token is not valid")
    forget(record.client_id)
    return token


def _typed(metadata: Any) -> dict[str, Any]:
    """RFC 7591 §2: the fields we know, each of its JSON type; the rest is ignored."""
    if not isinstance(metadata, dict):
        raise InvalidClientMetadata("The request body must be a JSON object")
    fields: dict[str, Any] = {}
    for name in STRINGS:
        if name in metadata and not isinstance(metadata[name], str):
            raise InvalidClientMetadata(f"{name} must be a string")
    for name in STRING_LISTS:
        value = metadata.get(name)
        if name in metadata and not (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ):
            raise InvalidClientMetadata(f"{name} must be an array of strings")
    for name in (*STRINGS, *STRING_LISTS, "client_id"):
        if name in metadata:
            fields[name] = metadata[name]
    for name in ("client_uri", "logo_uri"):
        if name in fields and not _is_https_url(fields[name]):
            raise InvalidClientMetadata(f"{name} must be an https URL")
    return fields


def _validated(fields: dict[str, Any], mode: str) -> dict[str, Any]:
    """The record fields for `fields` under `mode`, through the admin CLI's validator."""
    settings = get_settings()
    method = fields.get("token_endpoint_auth_method", "none" if mode == "open" else None)
    grants = fields.get("grant_types") or ["authorization_code"]
    allowed_scopes, granted_resources = _bounds(mode)
    scope = fields.get("scope", " ".join(allowed_scopes))
    if not set(scope.split()) <= set(allowed_scopes):
        extra = sorted(set(scope.split()) - set(allowed_scopes))
        raise InvalidClientMetadata(f"scope not available to this client: {' '.join(extra)}")
    meta = registration.client_meta(
        name=fields.get("client_name") or "unnamed client",
        grant_types=grants,
        redirect_uris=fields.get("redirect_uris", []),
        post_logout_redirect_uris=fields.get("post_logout_redirect_uris", []),
        scope=scope,
        public=method == "none",
        auth_method=method,
        response_types=fields.get("response_types"),
        resources=granted_resources,
        registered_by=mode,
        client_uri=fields.get("client_uri"),
        logo_uri=fields.get("logo_uri"),
        expires_at=now() + settings.registered_client_idle_days * DAY,
    )
    if mode == "open":
        _check_open(method, grants, fields)
    return meta


def _bounds(mode: str) -> tuple[list[str], list[str]]:
    """The scopes a client registering under `mode` may have, and the resources it gets."""
    settings = get_settings()
    every = resources.all_resources()
    opened = [resource for resource in every if resource.open]
    scopes = [*OIDC_SCOPES, *(s for resource in opened for s in resource.scopes)]
    uris = [resource.uri for resource in opened]
    if mode == "token":
        scopes += [*settings.scopes_supported, *(s for r in every for s in r.scopes)]
        uris = [settings.default_audience, *uris]
    return list(dict.fromkeys(scopes)), uris


def _check_open(method: str | None, grants: list[str], fields: dict[str, Any]) -> None:
    if method != "none":
        raise InvalidClientMetadata("open registration creates public clients only (none)")
    if "authorization_code" not in grants or not set(grants) <= set(OPEN_GRANTS):
        raise InvalidClientMetadata("open registration allows authorization_code (+ refresh_token)")
    if fields.get("response_types", ["code"]) != ["code"]:
        raise InvalidClientMetadata("open registration allows response_types code only")
    for uri in fields.get("redirect_uris", []):
        parts = urlsplit(uri)
        if not (_is_https_url(uri) or (parts.scheme == "http" and parts.hostname in LOOPBACK)):
            raise InvalidRedirectUri(f"redirect URIs must be https or loopback http: {uri}")


LOOPBACK = {*LOOPBACK_HOSTS, "localhost"}


def _is_https_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and "#" not in value


def _information(record: ClientModel, token: str, secret: str | None = None) -> dict[str, Any]:
    """RFC 7591 §3.2.1 / RFC 7592 §3: the client information response."""
    client = from_record(record)
    info: dict[str, Any] = {
        "client_id": client.client_id,
        "client_id_issued_at": int(record.created_at),
        "client_name": client.name,
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "grant_types": list(client.grant_types),
        "response_types": list(client.response_types),
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "scope": client.scope,
        "registration_access_token": token,
        "registration_client_uri": f"{get_settings().issuer}/register/{client.client_id}",
    }
    if secret:
        info |= {"client_secret": secret, "client_secret_expires_at": 0}
    for name in ("client_uri", "logo_uri"):
        if getattr(client, name):
            info[name] = getattr(client, name)
    return info
