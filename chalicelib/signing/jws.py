"""Signing a JWT: RFC 7515 compact serialization with the active key of an algorithm.

The header carries alg, typ and kid only (nothing a verifier could be told to fetch). The
active key's record decides who signs: KMS Sign (kms mode) or the container's unwrapped
key (envelope mode, envelope.py). JSON is compact, so a token is as small as it can be
and stays under KMS's 4096-byte signing limit for every claim set we issue.
"""

from __future__ import annotations

import json
from typing import Any

from jwt.utils import base64url_encode

from chalicelib.errors import ServerError
from chalicelib.signing import envelope, kms
from chalicelib.signing.keys import active_key


def sign_jwt(claims: dict[str, Any], *, typ: str = "JWT", alg: str = "RS256") -> str:
    key = active_key(alg)
    header = {"alg": alg, "typ": typ, "kid": key.kid}
    segments = [_b64_json(header), _b64_json(claims)]
    signing_input = b".".join(segments)
    if len(signing_input) > kms.MESSAGE_LIMIT:  # in both modes, so tokens never differ by mode
        raise ServerError("Token too large to sign", detail=f"{len(signing_input)} bytes")
    if key.encrypted_private_key:
        signature = envelope.sign(key.kid, key.alg, key.encrypted_private_key, signing_input)
    else:
        signature = kms.sign(key.kms_key_id, key.alg, signing_input)
    return b".".join([*segments, base64url_encode(signature)]).decode()


def _b64_json(value: dict[str, Any]) -> bytes:
    return base64url_encode(json.dumps(value, separators=(",", ":")).encode())
