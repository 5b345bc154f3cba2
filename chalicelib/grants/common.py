"""Steps the grants share: scope, audience (resource), and minting a grant's tokens.

RFC 6749 §3.3 (scope), §5.1 (the response), RFC 8707 §2 (resource indicators), OIDC Core
§3.1.3.3 and §12.2 (ID tokens at /token). Decisions:
* An omitted scope means the client's registered scope; a requested scope must be a subset.
* `resource` (RFC 8707 §2, RFC 9700 §4.10): values must be absolute URIs without a
  fragment, together at most MAX_AUDIENCE_BYTES as JSON (the token stays under KMS's
  signing limit), and among what may be asked for, else invalid_target. /authorize,
  /device_authorization, client_credentials and password grant what is asked within the
  client's registered resources (`granted_resources`); nothing asked grants
  `DEFAULT_AUDIENCE`. At /token a token's `aud` is chosen within that grant (`audience`):
  the code's, the device code's or the refresh family's resources, all of them when none
  is asked. The grant is stored with the code, device code and refresh family (`mint`'s
  `resources`), so a refresh token keeps what was granted, not what one token narrowed to.
* `mint` is the one place a grant's tokens are made: the refresh-family decision, the
  access token (carrying the family), the ID token when `openid` was granted to a person,
  and the refresh token. Everything is minted before the grant's one-time write (code
  redemption, device claim, rotation). A grant hands `mint` its one-time write as
  `redeem` (made from what was minted): it is written in the transaction that creates the
  new refresh family, or alone when there is none, so the tokens' records exist exactly
  when the write happened; a lost race (`Minted.redeemed` False) leaves nothing stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.config import get_settings
from chalicelib.errors import InvalidScope, InvalidTarget
from chalicelib.http import Params
from chalicelib.models import now
from chalicelib.records import assurance
from chalicelib.records.clients import Client, is_resource_uri
from chalicelib.tokens import refresh_families, refresh_tokens
from chalicelib.tokens.access_tokens import IssuedToken, issue_access_token
from chalicelib.tokens.id_tokens import issue_id_token
from chalicelib.tokens.refresh_tokens import OneTimeWrite

# A grant's one-time write, made from the access token and the new refresh family (if any).
Redeem = Callable[[IssuedToken, str | None], OneTimeWrite]

SCOPE_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F)) - {'"', "\\"}
# KMS signs at most 4096 bytes (signing/kms.py); base64url of 2048 leaves room for the
# header and the other claims.
MAX_AUDIENCE_BYTES = 2048


def parse_scope(raw: str | None) -> list[str]:
    """RFC 6749 §3.3 scope-tokens: space-delimited, %x21 / %x23-5B / %x5D-7E; deduplicated."""
    if not raw:
        return []
    names = raw.split(" ")
    if any(not name or not set(name) <= SCOPE_CHARS for name in names):
        raise InvalidScope("Malformed scope")
    return list(dict.fromkeys(names))


def resolve_scope(raw: str | None, allowed: frozenset[str], default: str) -> str:
    requested = parse_scope(raw)
    if not requested:
        return default
    outside = [name for name in requested if name not in allowed]
    if outside:
        raise InvalidScope(f"Scope not allowed for this client: {' '.join(outside)[:100]}")
    return " ".join(requested)


def requested_resources(params: Params) -> tuple[str, ...]:
    """RFC 8707 §2: the `resource` values asked for (deduplicated); invalid_target unless each
    is an absolute URI without a fragment and together they fit in a signable token."""
    asked = params.repeated.get("resource")
    if not asked:
        return ()
    resources = tuple(dict.fromkeys(asked))
    if not all(is_resource_uri(resource) for resource in resources):
        raise InvalidTarget("resource must be an absolute URI without a fragment")
    if len(json.dumps(resources)) > MAX_AUDIENCE_BYTES:
        raise InvalidTarget("resource values are too long")
    return resources


def granted_resources(params: Params, client: Client) -> tuple[str, ...]:
    """What an authorization (or a client's own token) is for: the resources asked for, each
    one the client may ask for, else invalid_target; none asked: DEFAULT_AUDIENCE."""
    return _within(requested_resources(params), client.resources) or _default()


def audience(params: Params, granted: tuple[str, ...]) -> str | list[str]:
    """A token's `aud`: the resources asked for, each within `granted`, else invalid_target;
    none asked: all of `granted` (a record without any: DEFAULT_AUDIENCE)."""
    granted = granted or _default()
    return aud_claim(_within(requested_resources(params), granted) or granted)


def aud_claim(resources: tuple[str, ...]) -> str | list[str]:
    """RFC 7519 §4.1.3: one audience as a string, several as a list."""
    return resources[0] if len(resources) == 1 else list(resources)


def _within(requested: tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, ...]:
    outside = [resource for resource in requested if resource not in allowed]
    if outside:
        raise InvalidTarget(f"resource not allowed here: {' '.join(outside)[:100]}")
    return requested


def _default() -> tuple[str, ...]:
    return (get_settings().default_audience,)


@dataclass(frozen=True)
class Minted:
    """A grant's tokens; `new_family` is the refresh family this grant started, if any;
    `redeemed` False: the grant's one-time write lost (nothing was stored, send nothing)."""

    access: IssuedToken
    scope: str
    id_token: str | None = None
    refresh_token: str | None = None
    new_family: str | None = None
    redeemed: bool = True

    def response(self) -> dict[str, Any]:
        """RFC 6749 §5.1 (and OIDC Core §3.1.3.3): the token response body."""
        body: dict[str, Any] = {
            "access_token": self.access.token,
            "token_type": "Bearer",
            "expires_in": self.access.expires_in,
        }
        if self.scope:
            body["scope"] = self.scope
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        if self.id_token:
            body["id_token"] = self.id_token
        return body


def mint(
    client: Client,
    *,
    sub: str,
    scope: str,
    audience: str | list[str],
    auth_time: int | None,
    resources: tuple[str, ...] = (),
    family: str | None = None,
    nonce: str | None = None,
    sid: str | None = None,
    username: str | None = None,
    amr: tuple[str, ...] | list[str] | None = None,
    redeem: Redeem | None = None,
) -> Minted:
    """Mint a grant's tokens. `auth_time` None means no person (client_credentials): no ID
    token, no refresh token; `amr` is how the person signed in (None: a record from before
    it was kept, read as a password). `family` is an existing refresh family (the refresh grant);
    a new family keeps the grant's `resources` and the person's `username`. `redeem`: the
    grant's one-time write, written with the new family (see the top)."""
    at = now()
    scopes = frozenset(scope.split())
    person = auth_time is not None
    methods = tuple(amr or (assurance.PASSWORD,))
    new_family = None
    if family is None and refresh_tokens.should_issue(client, scopes, has_person=person):
        new_family = refresh_families.new_family_id()
    access = issue_access_token(
        client=client,
        sub=sub,
        scope=scope,
        audience=audience,
        now=at,
        auth_time=auth_time,
        amr=methods,
        refresh_family=family or new_family,
    )
    id_token = None
    if auth_time is not None and "openid" in scopes:
        id_token = issue_id_token(
            client=client,
            sub=sub,
            auth_time=auth_time,
            now=at,
            nonce=nonce,
            sid=sid,
            amr=methods,
            access_token=access.token,
        )
    once = redeem(access, new_family) if redeem is not None else None
    refresh = None
    if new_family is not None:
        refresh = refresh_tokens.issue(
            client,
            sub,
            scope,
            auth_time,
            new_family,
            resources,
            username=username,
            amr=methods,
            along=once,
        )
        if refresh is None:
            return Minted(access, scope, redeemed=False)
    elif once is not None and not once.write():
        return Minted(access, scope, redeemed=False)
    return Minted(access, scope, id_token, refresh, new_family)
