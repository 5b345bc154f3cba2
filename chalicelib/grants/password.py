"""Resource owner password credentials grant, RFC 6749 §4.3.

RFC 9700 §2.4 says this grant MUST NOT be used: it is here only for trusted first-party
clients registered for it (the token endpoint refuses every other client with
unauthorized_client). Decisions:
* An unknown user, a wrong password and a disabled user get the same invalid_grant; an
  unknown user costs the same Argon2id work (users.check_password hashes a dummy).
* Brute force (§10.10, RFC 9700 §4.16): failures are counted per username and per source
  IP in fixed windows (PASSWORD_USER_FAILURE_LIMIT, PASSWORD_IP_FAILURE_LIMIT,
  PASSWORD_FAILURE_WINDOW). At a limit, attempts get that same invalid_grant without a
  password check until the window ends. Every attempt is counted (one atomic ADD) before
  its password is checked, so parallel attempts cannot all pass as under the limit; a
  success then clears the username's count and takes back its own count from the IP's.
  Usernames are counted by SHA-256, so the counters hold no usernames.
* Scope: what is asked for is granted, within the client's registered scope; an omitted
  scope means the client's scope without offline_access, which must be asked for. A refresh
  token comes only with offline_access and a client registered for refresh_token.
"""

from __future__ import annotations

from typing import Any

from chalicelib import ratelimit, refresh_tokens, tokens, users
from chalicelib.clients import Client
from chalicelib.config import get_settings
from chalicelib.errors import InvalidGrant
from chalicelib.grants.common import audience, bearer_response, id_token_for, resolve_scope
from chalicelib.http import Params
from chalicelib.models import now

GRANT_TYPE = "password"
INVALID = "Invalid username or password"


def handle(params: Params, client: Client) -> dict[str, Any]:
    username = params.require("username")
    password = params.require("password")
    default = " ".join(s for s in client.scope.split() if s != refresh_tokens.OFFLINE_ACCESS)
    scope = resolve_scope(params.get("scope"), client.scopes, default=default)
    user = authenticate_user(username, password, params.source_ip)
    family = None
    if refresh_tokens.should_issue(client, frozenset(scope.split())):
        family = refresh_tokens.new_family_id()
    at = now()
    access = tokens.issue_access_token(
        client=client, sub=user.sub, scope=scope, audience=audience(params),
        auth_time=at, now=at, refresh_family=family,
    )  # fmt: skip
    id_token = id_token_for(client, user.sub, scope, at, at, access)
    refresh = None
    if family is not None:
        refresh = refresh_tokens.issue(client, user.sub, scope, at, family_id=family)
    return bearer_response(access, scope, refresh_token=refresh, id_token=id_token)


def authenticate_user(username: str, password: str, source_ip: str) -> Any:
    """The enabled user with this password; one invalid_grant for every failure."""
    settings = get_settings()
    limits = [("password-user", tokens.sha256_hex(username), settings.password_user_failure_limit)]
    if source_ip:
        limits.append(("password-ip", source_ip, settings.password_ip_failure_limit))
    if any(ratelimit.is_limited(kind, subject, limit) for kind, subject, limit in limits):
        raise InvalidGrant(INVALID, detail="locked out")  # no count added while locked
    if ratelimit.charge(limits, settings.password_failure_window):
        raise InvalidGrant(INVALID, detail="locked out")
    user = users.get_user(username)
    matches = users.check_password(password, user.password_hash if user else None)
    if user is None or not matches or user.disabled:
        raise InvalidGrant(INVALID, detail="bad credentials or disabled user")
    ratelimit.clear(*limits[0][:2])
    for kind, subject, _ in limits[1:]:
        ratelimit.refund(kind, subject)
    return user
