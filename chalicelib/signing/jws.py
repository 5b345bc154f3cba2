"""Signing a JWT: RFC 7515 compact serialization with the active key of an algorithm.

The header carries alg, typ and kid only (nothing a verifier could be told to fetch). The
active key's record decides who signs: KMS Sign (kms mode) or the container's unwrapped
key (envelope mode, envelope.py). JSON is compact, so a token is as small as it can be
and stays under KMS's 4096-byte signing limit for every claim set we issue. A key's header
segment is the same for every token it signs, so it is encoded once per container.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from chalicelib.errors import ServerError
from chalicelib.signing import envelope, kms
from chalicelib.signing.keys import active_key

_COMPACT = json.JSONEncoder(separators=(",", ":"))


def sign_jwt(claims: dict[str, Any], *, typ: str = "JWT", alg: str = "RS256") -> str:
    key = active_key(alg)
    signing_input = b".".join((_header_segment(alg, typ, key.kid), _b64_json(claims)))
    if len(signing_input) > kms.MESSAGE_LIMIT:  # in both modes, so tokens never differ by mode
        raise ServerError("Token too large to sign", detail=f"{len(signing_input)} bytes")
    if key.encrypted_private_key:
        signature = envelope.sign(key.kid, key.alg, key.encrypted_private_key, signing_input)
    else:
        signature = kms.sign(key.kms_key_id, key.alg, signing_input)
    return b".".join((signing_input, kms.base64url(signature))).decode()


@lru_cache(maxsize=32)
def _header_segment(alg: str, typ: str, kid: str) -> bytes:
    return _b64_json({"alg": alg, "typ": typ, "kid": kid})


def _b64_json(value: dict[str, Any]) -> bytes:
    return kms.base64url(_COMPACT.encode(value).encode())
