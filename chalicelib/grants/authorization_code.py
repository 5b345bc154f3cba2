"""Authorization code grant, RFC 6749 §4.1.3-§4.1.4, with PKCE (RFC 7636 §4.5-§4.6).

check the code (this client, this redirect_uri, the PKCE verifier) -> mint the access token,
the ID token when `openid` was granted (OIDC Core §3.1.3.3) and the refresh token when
`offline_access` was -> redeem the code in one conditional write that records what was
minted -> the token response. Minting before redeeming means a replay, however close, always
finds the refresh family to revoke. The ID token carries `at_hash`; profile and email claims
come from userinfo, since an access token is issued. As for the device and refresh grants,
the user must still exist and not be disabled when the code is redeemed.
"""

from __future__ import annotations

from typing import Any

from chalicelib import codes, refresh_tokens, tokens, users
from chalicelib.clients import Client
from chalicelib.errors import InvalidGrant
from chalicelib.grants.common import audience, bearer_response, id_token_for
from chalicelib.http import Params
from chalicelib.models import now

GRANT_TYPE = "authorization_code"


def handle(params: Params, client: Client) -> dict[str, Any]:
    record = codes.check(
        params.require("code"),
        client,
        params.get("redirect_uri"),
        params.get("code_verifier"),
    )
    user = users.get_user_by_sub(record.sub)
    if user is None or user.disabled:
        raise InvalidGrant(codes.INVALID, detail="user missing or disabled")
    at = now()
    scopes = frozenset(record.scope.split())
    family = refresh_tokens.new_family_id() if refresh_tokens.should_issue(client, scopes) else None
    auth_time = int(record.auth_time)
    access = tokens.issue_access_token(
        client=client, sub=record.sub, scope=record.scope, audience=audience(params),
        auth_time=auth_time, now=at, refresh_family=family,
    )  # fmt: skip
    id_token = id_token_for(
        client, record.sub, record.scope, auth_time, at, access,
        nonce=record.nonce, sid=record.session_id,
    )  # fmt: skip
    refresh = None
    if family:
        refresh = refresh_tokens.issue(client, record.sub, record.scope, auth_time, family)
    codes.redeem(record, [access], refresh_family_id=family)
    return bearer_response(access, record.scope, id_token=id_token, refresh_token=refresh)
