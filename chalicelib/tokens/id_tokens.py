"""ID tokens: OIDC Core §2, §3.1.3.6 (at_hash), §3.3.2.11 (c_hash).

Decisions:
* Claims: iss, sub, aud (the client), exp, iat, auth_time, nonce (when the request had
  one), azp, amr and the acr it amounts to (records/assurance.py), sid, `at_hash` with an
  access token, `c_hash` with a code from /authorize. Profile and email claims are added
  by the caller only for `response_type=id_token`.
* RS256 unless the client registered `id_token_signed_response_alg` ES256. Both hash
  halves use SHA-256, the hash of both algorithms.
Reading one back as `id_token_hint` is verification.py's job.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from chalicelib.config import get_settings
from chalicelib.records import assurance
from chalicelib.records.clients import Client
from chalicelib.signing.jws import sign_jwt


def half_hash(value: str) -> str:
    """The left half of SHA-256, base64url without padding (at_hash, c_hash)."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def issue_id_token(
    *,
    client: Client,
    sub: str,
    auth_time: int,
    now: int,
    nonce: str | None = None,
    sid: str | None = None,
    amr: tuple[str, ...] | list[str] = ("pwd",),
    access_token: str | None = None,
    code: str | None = None,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    settings = get_settings()
    claims: dict[str, Any] = {
        **(extra_claims or {}),
        "iss": settings.issuer,
        "sub": sub,
        "aud": client.client_id,
        "exp": now + settings.id_token_lifetime,
        "iat": now,
        "auth_time": auth_time,
        "azp": client.client_id,
        "amr": list(amr),
        "acr": assurance.acr(amr),
    }
    optional = {
        "nonce": nonce,
        "sid": sid,
        "at_hash": half_hash(access_token) if access_token else None,
        "c_hash": half_hash(code) if code else None,
    }
    claims.update({name: value for name, value in optional.items() if value})
    return sign_jwt(claims, typ="JWT", alg=client.id_token_signed_response_alg or "RS256")
