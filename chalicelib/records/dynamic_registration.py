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
  used at /authorize (extended at most once a day, clients.keep_alive); DynamoDB TTL then
  removes it.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from chalicelib.config import get_settings
from chalicelib.errors import InvalidClientMetadata, InvalidToken, RateLimited
from chalicelib.models import ClientModel, conditional_write, now
from chalicelib.opaque import new_value, sha256_hex
from chalicelib.records import ratelimit
from chalicelib.records.client_records import SECRET_METHODS
from chalicelib.records.clients import Client, forget, from_record
from chalicelib.records.registration_policy import typed, validated

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
    meta = validated(typed(metadata), mode)
    secret = new_value() if meta["token_endpoint_auth_method"] in SECRET_METHODS else None
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
    fields = typed(metadata)
    if fields.pop("client_id", client_id) != client_id:
        raise InvalidClientMetadata("client_id does not match the client being updated")
    method = fields.setdefault("token_endpoint_auth_method", client.token_endpoint_auth_method)
    if method != client.token_endpoint_auth_method:
        raise InvalidClientMetadata("token_endpoint_auth_method cannot change")
    token = _rotate(record, validated(fields, client.registered_by))
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
    try:
        record = ClientModel.get(client_id, consistent_read=True)
    except ClientModel.DoesNotExist:
        record = None
    stored = record.registration_token_hash if record else None
    if record and stored and hmac.compare_digest(stored, sha256_hex(token)):
        live = record.expires_at is None or record.expires_at > now()
        if live:
            return from_record(record), record
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
    if client.require_mfa:
        info["require_mfa"] = True
    return info
