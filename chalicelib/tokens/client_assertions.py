"""`private_key_jwt` client authentication: RFC 7523 §2.2 and §3, RFC 7521 §4.2, OIDC Core §9.

The client sends `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
and `client_assertion`, a JWT it signed with a key it registered (records/client_keys.py).
It passes only if:
* it is at most 8 KB; its header's `alg` is ES256, RS256 or PS256 (the client's pinned one if
  it pinned one), with no key or key URL in the header (verification.check_header, the
  checks of our own tokens);
* a registered key verifies it: the one its `kid` names, else any key of the algorithm's
  type; a key that names its own `alg` or a `use` other than `sig` serves only that; an
  unknown `kid` makes a `jwks_uri` client's keys be fetched again, at most once a minute;
* `iss` and `sub` are the client_id (RFC 7523 §3 items 1-2); `aud` is our issuer or our token
  endpoint URL, or a list holding one (item 3); `exp` is present, in the future and at most
  `CLIENT_ASSERTION_MAX_SECONDS` (3600) from now (item 4; an hour, as Okta allows, because
  Authlib's and other libraries' default assertions live that long); `nbf` and `iat`, when
  present, are not in the future (30 s leeway);
* its `jti`, a non-empty string, was not seen before (item 7): a conditional write of
  SHA-256(client_id, jti) to the denylist table until `exp`, so of two parallel uses exactly
  one passes.
Anything else is invalid_client. Its status is 400, as for `client_secret_post`: RFC 6749
§5.2 keeps the 401 for credentials sent in the Authorization header, and a 401 must name an
HTTP authentication scheme (RFC 9110 §15.5.2), which an assertion is not. The reason is
logged, never sent.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

from chalicelib import observability, outbound
from chalicelib.config import get_settings
from chalicelib.errors import InvalidClient, InvalidClientMetadata
from chalicelib.http import Params
from chalicelib.models import RevokedTokenModel, conditional_write, now
from chalicelib.opaque import sha256_hex
from chalicelib.records import client_keys, clients
from chalicelib.records.client_records import Client
from chalicelib.records.lru import LRU
from chalicelib.tokens.verification import check_header, read_header

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LEEWAY = 30
REFETCH_SECONDS = 60
_refetched: LRU[float] = LRU()  # jwks_uri -> when an unknown kid last made us fetch it


def authenticate(params: Params) -> Client:
    if params.get("client_assertion_type") != JWT_BEARER:
        raise InvalidClient("client_assertion_type must be jwt-bearer", detail="assertion type")
    assertion = params.get("client_assertion") or ""
    header = read_header(assertion, _refused)
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise _refused("malformed") from exc
    client_id = unverified.get("sub")
    form_id = params.get("client_id")
    if not isinstance(client_id, str) or (form_id and form_id != client_id):
        raise _refused("sub or client_id")
    client = clients.get_client(client_id)
    if client is None or client.token_endpoint_auth_method != "private_key_jwt":
        raise _refused("not a private_key_jwt client")
    observability.note(client_id=client_id)  # a registered id, not yet proven
    claims = _verified(assertion, header, client)
    _spend(client_id, claims)
    return client


def _verified(assertion: str, header: dict[str, Any], client: Client) -> dict[str, Any]:
    pinned = client.token_endpoint_auth_signing_alg
    alg = check_header(header, (pinned,) if pinned else client_keys.ASSERTION_ALGORITHMS, _refused)
    issuer = get_settings().issuer
    for key in _candidates(client, alg, header.get("kid")):
        try:
            return jwt.decode(
                assertion,
                key,
                algorithms=[alg],
                audience=[issuer, f"{issuer}/token"],
                issuer=client.client_id,
                leeway=LEEWAY,
                options={"require": ["iss", "sub", "aud", "exp", "jti"]},
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.InvalidTokenError as exc:
            raise _refused(type(exc).__name__) from exc
    raise _refused("no registered key verifies it")


def _candidates(client: Client, alg: str, kid: Any) -> list[Any]:
    """The client's keys that may verify an `alg` signature by `kid` (any, if no kid)."""
    keys = _keys(client)
    if kid is not None and not any(key.get("kid") == kid for key in keys) and client.jwks_uri:
        keys = _keys(client, refetch=True)
    chosen = [key for key in keys if client_keys.serves(key, alg) and kid in (None, key.get("kid"))]
    try:
        return [jwt.PyJWK(key, algorithm=alg).key for key in chosen]
    except jwt.PyJWKError as exc:
        raise _refused("unusable key") from exc


def _keys(client: Client, refetch: bool = False) -> list[dict[str, Any]]:
    url = client.jwks_uri or ""
    last = _refetched.get(url)
    if refetch and (last is None or time.monotonic() - last >= REFETCH_SECONDS):
        _refetched.put(url, time.monotonic(), get_settings().outbound_cache_size)
        outbound.forget(url)
    try:
        return client_keys.keys_of(client.jwks, client.jwks_uri)
    except (outbound.FetchError, InvalidClientMetadata) as exc:  # the keys cannot be had
        raise _refused(f"keys: {exc}") from exc


def _spend(client_id: str, claims: dict[str, Any]) -> None:
    exp, jti = claims["exp"], claims["jti"]
    if not isinstance(jti, str) or not jti or not isinstance(exp, int | float):
        raise _refused("jti or exp")
    if exp > now() + get_settings().client_assertion_max_seconds:
        raise _refused("exp too far ahead")
    key = f"assertion:{sha256_hex(client_id + ' ' + jti)}"
    record = RevokedTokenModel(jti=key, expires_at=int(exp) + LEEWAY)
    unseen = RevokedTokenModel.jti.does_not_exist() | (RevokedTokenModel.expires_at <= now())
    if not conditional_write(record.save, condition=unseen):
        raise _refused("jti replayed")


def _refused(detail: str) -> InvalidClient:
    return InvalidClient("Client authentication failed", detail=f"client_assertion: {detail}")
