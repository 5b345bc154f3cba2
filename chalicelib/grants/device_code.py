"""Device code grant, RFC 8628 §3.4-3.5: the device polls /token with its device_code.

The polling rules live in records/device_codes.poll. Decisions: the approving person must
still be able to act when the tokens are issued (read by the username kept at approval);
the tokens are minted before the issue-once write, so a KMS failure leaves the code
approved and the device may retry; that write goes in the transaction that creates the
refresh family (grants/common.mint), so a poll that loses the race has stored nothing and
discards its unsent tokens. `resource` (RFC 8707 §2) at the token request chooses within
the resources the person approved at /device_authorization (all of them when none is
asked). With `openid` granted an ID token (OIDC Core §3.1.3.6: auth_time of the approval,
at_hash) goes with it; profile and email claims stay at userinfo, as for the code flow.
"""

from __future__ import annotations

from typing import Any

from chalicelib.errors import InvalidGrant
from chalicelib.grants.common import audience, mint
from chalicelib.http import Params
from chalicelib.records import device_codes, users
from chalicelib.records.clients import Client

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"


def handle(params: Params, client: Client) -> dict[str, Any]:
    record = device_codes.poll(params.require("device_code"), client)
    user = users.active_by_sub(record.sub, username=record.username)
    if user is None:
        raise InvalidGrant("The user who approved this device can no longer sign in")
    granted = tuple(record.resources or ())
    minted = mint(
        client,
        sub=user.sub,
        scope=record.scope,
        audience=audience(params, granted),
        auth_time=int(record.auth_time),
        resources=granted,
        username=user.username,
        amr=record.amr,
        redeem=lambda _access, _family: device_codes.claiming(record),
    )
    if not minted.redeemed:
        raise InvalidGrant("The device_code was already used")
    return minted.response()
