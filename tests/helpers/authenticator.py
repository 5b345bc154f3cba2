"""A software WebAuthn authenticator for the flow tests (the browser tests use Chromium's
virtual one): it answers navigator.credentials.create()/get() as a platform authenticator
would, with attestation `none`, ES256 keys, and flags it can be told to leave out.

W3C WebAuthn Level 2 §6.1 (authenticator data), §6.5.4 (attestation object), §5.8.1
(client data); the COSE key of RFC 9053 §7.1.1.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    user_handle: bytes
    rp_id: str
    sign_count: int = 0


@dataclass
class Authenticator:
    origin: str
    verify_user: bool = True
    synced: bool = False
    credentials: list[Credential] = field(default_factory=list)

    def _flags(self, extra: int = 0) -> int:
        flags = UP | extra | (UV if self.verify_user else 0)
        return flags | (BE | BS if self.synced else 0)

    def create(self, options: dict[str, Any], *, challenge: str | None = None) -> str:
        """The credential JSON a browser posts after navigator.credentials.create()."""
        rp_id = options["rp"]["id"]
        key = ec.generate_private_key(ec.SECP256R1())
        credential = Credential(
            secrets.token_bytes(32), key, unb64url(options["user"]["id"]), rp_id
        )
        self.credentials.append(credential)
        numbers = key.public_key().public_numbers()
        cose = {
            1: 2,
            3: -7,
            -1: 1,
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }
        attested = (
            bytes(16)
            + struct.pack(">H", len(credential.credential_id))
            + credential.credential_id
            + cbor2.dumps(cose)
        )
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags(AT)])
            + struct.pack(">I", 0)
            + attested
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", challenge or options["challenge"])
        response = {
            "clientDataJSON": b64url(client_data),
            "attestationObject": b64url(attestation),
            "transports": ["internal"],
        }
        return _as_json(credential, response)

    def get(
        self,
        options: dict[str, Any],
        *,
        credential: Credential | None = None,
        challenge: str | None = None,
        rp_id: str | None = None,
    ) -> str:
        """The credential JSON a browser posts after navigator.credentials.get()."""
        credential = credential or self.credentials[-1]
        credential.sign_count += 1
        auth_data = (
            hashlib.sha256((rp_id or options["rpId"]).encode()).digest()
            + bytes([self._flags()])
            + struct.pack(">I", credential.sign_count)
        )
        client_data = self._client_data("webauthn.get", challenge or options["challenge"])
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = credential.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        response = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
            "userHandle": b64url(credential.user_handle),
        }
        return _as_json(credential, response)

    def _client_data(self, kind: str, challenge: str) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        return json.dumps(data).encode()


def _as_json(credential: Credential, response: dict[str, str | list[str]]) -> str:
    """A PublicKeyCredential as a browser's form posts it (WebAuthn Level 3 toJSON)."""
    return json.dumps(
        {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
    )
