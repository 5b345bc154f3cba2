"""Device code grant, RFC 8628 §3.4-3.5: the device polls /token with its device_code.

The polling rules live in device_codes.poll. Decisions: the approving user must still
exist and not be disabled when the tokens are issued; the tokens are signed before
the issue-once write, so a KMS failure leaves the code approved and the device may retry,
and a poll that loses the race discards its unsent token. `resource` (RFC 8707) is read
from the token request, as for every grant. With `openid` granted an ID token (OIDC Core
§3.1.3.6: auth_time of the approval, at_hash) goes with it; profile and email claims stay
at userinfo, as for the code flow. A refresh token comes under the refresh rules
(registered for refresh_token, `offline_access` approved); it too is minted before the
issue-once write, and a poll that loses the race revokes the family it minted.
"""

from __future__ import annotations

from typing import Any

from chalicelib import device_codes, refresh_tokens, tokens, users
from chalicelib.clients import Client
from chalicelib.errors import InvalidGrant
from chalicelib.grants.common import audience, bearer_response, id_token_for
from chalicelib.http import Params
from chalicelib.models import now

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"


def handle(params: Params, client: Client) -> dict[str, Any]:
    record = device_codes.poll(params.require("device_code"), client)
    user = users.get_user_by_sub(record.sub or "")
    if user is None or user.disabled:
        raise InvalidGrant("The user who approved this device can no longer sign in")
    scope, at, auth_time = record.scope, now(), int(record.auth_time)
    family = None
    if refresh_tokens.should_issue(client, frozenset(scope.split())):
        family = refresh_tokens.new_family_id()
    access = tokens.issue_access_token(
        client=client, sub=user.sub, scope=scope, audience=audience(params),
        auth_time=auth_time, now=at, refresh_family=family,
    )  # fmt: skip
    id_token = id_token_for(client, user.sub, scope, auth_time, at, access)
    refresh = refresh_tokens.issue(client, user.sub, scope, auth_time, family) if family else None
    try:
        device_codes.claim(record)
    except InvalidGrant:
        if family:
            refresh_tokens.revoke_family(family, "lost device-code claim race")
        raise
    return bearer_response(access, scope, id_token=id_token, refresh_token=refresh)
