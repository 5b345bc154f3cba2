"""The authorization request, RFC 6749 §4.1.1/§4.2.1 and OIDC Core §3.1.2.1, checked in order.

Step one (`client_redirect`) decides whether we may redirect at all: an unknown client, a missing
redirect_uri when several are registered, or a redirect_uri that is not an exact string
match of a registered one (loopback any port, RFC 8252 §7.3) raises, and the caller shows
the error page (§4.1.2.1: never redirect). Step two (`validate`) raises errors that go back
to the client. Decisions: duplicated parameters are refused before step one (error page);
unknown parameters are ignored; `request`/`request_uri` are unsupported (OIDC Core §6);
`select_account` is treated as `login`; an unknown prompt value is invalid_request;
`resource` (RFC 8707 §2, repeatable) must be among the client's resources (invalid_target)
and is carried through login and consent to the code (no resource: DEFAULT_AUDIENCE).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib import observability, pkce
from chalicelib.errors import (
    InvalidRequest,
    RequestNotSupported,
    RequestUriNotSupported,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from chalicelib.grants.common import granted_resources, resolve_scope
from chalicelib.http import Params
from chalicelib.records import clients
from chalicelib.records.clients import Client
from chalicelib.tokens.verification import verify_id_token_hint

RESPONSE_WORDS = frozenset({"code", "token", "id_token"})
MODES = ("query", "fragment", "form_post")
PROMPTS = frozenset({"none", "login", "consent", "select_account"})
# What is carried from the request to the login return and the consent form.
CARRIED = (
    "response_type", "client_id", "redirect_uri", "scope", "state", "response_mode", "nonce",
    "code_challenge", "code_challenge_method", "prompt", "max_age", "login_hint",
    "id_token_hint", "ui_locales", "claims_locales", "acr_values", "display",
)  # fmt: skip
MAX_VALUE = 2048


@dataclass(frozen=True)
class ClientRedirect:
    """Where the answer goes: known good before anything is sent there."""

    client: Client
    redirect_uri: str
    redirect_uri_given: bool
    state: str | None
    response_mode: str


@dataclass(frozen=True)
class AuthorizationRequest:
    redirect: ClientRedirect
    response_type: frozenset[str]
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    prompt: frozenset[str]
    max_age: int | None
    login_hint: str | None
    hint_sub: str | None
    params: Params
    resources: tuple[str, ...] = ()
    acr_values: str | None = None  # OIDC Core §3.1.2.1, records/assurance.py

    @property
    def client(self) -> Client:
        return self.redirect.client

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())


def client_redirect(params: Params) -> ClientRedirect:
    """The client and the redirect URI; raises (-> error page) unless both are trustworthy."""
    observability.note(client_id=params.get("client_id"))
    client = clients.get_client(params.get("client_id") or "")
    if client is None:
        raise InvalidRequest("Unknown or missing client_id")
    uri = params.get("redirect_uri")
    if uri is None:
        if len(client.redirect_uris) != 1:
            raise InvalidRequest("redirect_uri is required for this client")
        uri = client.redirect_uris[0]
    elif not clients.match_redirect_uri(client, uri):
        raise InvalidRequest("redirect_uri is not registered for this client")
    clients.keep_alive(client)
    return ClientRedirect(client, uri, "redirect_uri" in params, params.get("state"), _mode(params))


def _mode(params: Params) -> str:
    """The response mode errors and answers use (a valid request gets what it asked for)."""
    words = set((params.get("response_type") or "").split())
    default = "fragment" if words & {"token", "id_token"} else "query"
    asked = params.get("response_mode")
    if asked not in MODES or (asked == "query" and default == "fragment"):
        return default
    return asked


def validate(params: Params, redirect: ClientRedirect) -> AuthorizationRequest:
    """Every other check, in order; each failure goes back to the client."""
    client = redirect.client
    if "request" in params:
        raise RequestNotSupported("Request objects are not supported")
    if "request_uri" in params:
        raise RequestUriNotSupported("request_uri is not supported")
    response_type = _response_type(params, client)
    _check_mode(params, response_type)
    scope = resolve_scope(params.get("scope"), client.scopes, default=client.scope)
    resources = granted_resources(params, client)
    openid = "openid" in scope.split()
    if "id_token" in response_type and not openid:
        raise InvalidRequest("response_type id_token needs the openid scope")
    if openid and not redirect.redirect_uri_given:
        raise InvalidRequest("redirect_uri is required for OpenID Connect requests")
    nonce = _nonce(params, response_type)
    challenge, method = _pkce(params, client, response_type)
    hint = params.get("id_token_hint")
    return AuthorizationRequest(
        redirect=redirect,
        response_type=response_type,
        scope=scope,
        nonce=nonce,
        code_challenge=challenge,
        code_challenge_method=method,
        prompt=_prompt(params),
        max_age=_max_age(params),
        login_hint=_bounded(params, "login_hint"),
        hint_sub=verify_id_token_hint(hint)["sub"] if hint else None,
        params=params,
        resources=resources,
        acr_values=_bounded(params, "acr_values"),
    )


def _nonce(params: Params, response_type: frozenset[str]) -> str | None:
    nonce = _bounded(params, "nonce")
    if nonce is not None and len(json.dumps(nonce)) > MAX_VALUE:
        # It goes into the ID token as JSON, which must stay under KMS's signing limit.
        raise InvalidRequest("nonce is too long")
    if "id_token" in response_type and not nonce:
        raise InvalidRequest("nonce is required when an ID token is returned")
    return nonce


def _pkce(
    params: Params, client: Client, response_type: frozenset[str]
) -> tuple[str | None, str | None]:
    """The code challenge to bind to the code (RFC 7636 §4.3); none without a code."""
    if "code" not in response_type:
        return None, None
    return pkce.check_challenge(
        params.get("code_challenge"),
        params.get("code_challenge_method"),
        required=client.public or client.require_pkce,
        allow_plain=client.allow_plain_pkce,
    )


def _response_type(params: Params, client: Client) -> frozenset[str]:
    raw = params.require("response_type")
    words = raw.split(" ")
    if not set(words) <= RESPONSE_WORDS or len(set(words)) != len(words):
        raise UnsupportedResponseType(f"Unsupported response_type: {raw[:60]}")
    asked = frozenset(words)
    if asked not in {frozenset(r.split()) for r in client.response_types}:
        raise UnauthorizedClient(f"Client is not registered for response_type {raw[:60]}")
    needed = "authorization_code" if "code" in asked else "implicit"
    if not client.allows_grant(needed):
        raise UnauthorizedClient(f"Client is not registered for {needed}")
    if "token" in asked and not client.allow_tokens_via_browser:
        raise UnauthorizedClient("Client may not receive access tokens in the browser")
    return asked


def _check_mode(params: Params, response_type: frozenset[str]) -> None:
    asked = params.get("response_mode")
    if asked is not None and asked not in MODES:
        raise InvalidRequest(f"Unsupported response_mode: {asked[:40]}")
    if asked == "query" and response_type != {"code"}:
        raise InvalidRequest("response_mode query cannot carry tokens")


def _prompt(params: Params) -> frozenset[str]:
    words = frozenset((params.get("prompt") or "").split())
    if not words <= PROMPTS:
        raise InvalidRequest("Unsupported prompt value")
    if "none" in words and len(words) > 1:
        raise InvalidRequest("prompt none cannot be combined with other values")
    return words


def _max_age(params: Params) -> int | None:
    raw = params.get("max_age")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:  # "²".isdigit(), int() fails
        raise InvalidRequest("max_age must be a non-negative integer")
    return int(raw)


def _bounded(params: Params, name: str) -> str | None:
    value = params.get(name)
    if value is not None and len(value) > MAX_VALUE:
        raise InvalidRequest(f"{name} is too long")
    return value


def carried(params: Params, *, fresh_login: bool = False) -> list[tuple[str, str]]:
    """The request's own parameters, to send on through login or consent.

    After a fresh login, `prompt=login` and `max_age` have been honoured, so they are
    dropped: the returning request must not ask for a login again. `id_token_hint` stays,
    so the person who signed in (or answers consent) is checked against it.
    """
    pairs: list[tuple[str, str]] = []
    for name in CARRIED:
        value: Any = params.get(name)
        if value is None or (fresh_login and name == "max_age"):
            continue
        if fresh_login and name == "prompt":
            value = " ".join(p for p in value.split() if p not in ("login", "select_account"))
            if not value:
                continue
        pairs.append((name, value))
    return pairs + [("resource", value) for value in params.repeated.get("resource", [])]
