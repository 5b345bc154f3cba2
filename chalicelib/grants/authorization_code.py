"""Authorization code grant, RFC 6749 §4.1.3-§4.1.4, with PKCE (RFC 7636 §4.5-§4.6).

check the code (this client, this redirect_uri, the PKCE verifier) -> mint the access token
(and an ID token when `openid` was granted, OIDC Core §3.1.3.3) -> redeem the code in one
conditional write that records the minted jti -> the token response. The ID token carries
`at_hash`; profile and email claims come from userinfo, since an access token is issued.
"""

from __future__ import annotations

from typing import Any

from chalicelib import codes, id_tokens, tokens
from chalicelib.clients import Client
from chalicelib.grants.common import audience, bearer_response
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
    at = now()
    access = tokens.issue_access_token(
        client=client,
        sub=record.sub,
        scope=record.scope,
        audience=audience(params),
        auth_time=int(record.auth_time),
        now=at,
    )
    id_token = None
    if "openid" in record.scope.split():
        id_token = id_tokens.issue_id_token(
            client=client,
            sub=record.sub,
            auth_time=int(record.auth_time),
            now=at,
            nonce=record.nonce,
            sid=record.session_id,
            access_token=access.token,
        )
    codes.redeem(record, [access])
    # A refresh token would be issued here (offline_access granted, client allows refresh_token).
    return bearer_response(access, record.scope, id_token=id_token)
