"""Resource owner password credentials grant, RFC 6749 §4.3.

RFC 9700 §2.4 says this grant MUST NOT be used: it is here only for trusted first-party
clients registered for it (the token endpoint refuses every other client with
unauthorized_client). Decisions:
* The password is checked under the brute-force policy shared with the login page
  (records/password_attempts.py); no cookies here, so always as untrusted. An unknown
  user, a wrong password and a disabled user get the same invalid_grant. A refusal by the
  limits is invalid_grant too (RFC 6749 §5.2: the credentials cannot be used now; every
  client handles it), its description saying how long to wait; not 429, which §5.2 does
  not name and which client libraries may retry without reading the body.
* Scope: what is asked for is granted, within the client's registered scope; an omitted
  scope means the client's scope without offline_access, which must be asked for. A refresh
  token comes only with offline_access and a client registered for refresh_token.
* `resource` (RFC 8707 §2) may name only the client's registered resources; the refresh
  family keeps what was granted.
* A person with a second factor (an authenticator app or a passkey) gets invalid_grant
  even with the right password: this grant cannot ask for the second factor, and a
  password alone must not be enough for them. The description says so only after the
  password was right, so it reveals nothing to someone guessing.
"""

from __future__ import annotations

from typing import Any

from chalicelib.errors import InvalidGrant
from chalicelib.grants.common import audience, granted_resources, mint, resolve_scope
from chalicelib.http import Params
from chalicelib.models import now
from chalicelib.records import password_attempts, users
from chalicelib.records.clients import Client
from chalicelib.tokens.refresh_tokens import OFFLINE_ACCESS

GRANT_TYPE = "password"
INVALID_CREDENTIALS = "Invalid username or password"
SECOND_FACTOR = "This account signs in with a second factor: use a browser sign-in"


def handle(params: Params, client: Client) -> dict[str, Any]:
    username = params.require("username")
    password = params.require("password")
    default = " ".join(s for s in client.scope.split() if s != OFFLINE_ACCESS)
    scope = resolve_scope(params.get("scope"), client.scopes, default=default)
    granted = granted_resources(params, client)
    attempt = password_attempts.attempt(username, password, params.source_ip)
    if attempt.locked:
        raise InvalidGrant(password_attempts.refusal(attempt.retry_after), detail="backoff")
    if attempt.user is None:
        raise InvalidGrant(INVALID_CREDENTIALS, detail="bad credentials or disabled user")
    if users.has_second_factor(attempt.user):
        raise InvalidGrant(SECOND_FACTOR, detail="user has a second factor")
    minted = mint(
        client,
        sub=attempt.user.sub,
        scope=scope,
        audience=audience(params, granted),
        auth_time=now(),
        resources=granted,
        username=attempt.user.username,
    )
    return minted.response()
