"""Passkeys: WebAuthn credentials (W3C WebAuthn Level 2/3), through py_webauthn.

Decisions:
* Relying party: the RP ID is the issuer's host (WebAuthn §5.1.3: a registrable domain
  suffix of the origin; an IP address cannot be one) and the expected origin the issuer's
  scheme, host and port.
* Registration asks for a discoverable credential (resident key required) with user
  verification required, ES256 or RS256 (COSE -7, -257), attestation `none` (we trust
  the person who registers it, not a vendor list). The person's WebAuthn user handle is
  their `sub`, never their username or email (WebAuthn §14.6.1).
* Sign-in requires user verification too, so a passkey is two factors by itself (the
  device, and the PIN or biometric that unlocks it): amr `hwk` or `swk` plus `mfa`
  (records/assurance.py).
* Every ceremony's challenge is a one-time record (records/challenges.py), consumed
  before the response is verified; a registration challenge belongs to one person.
* The signature counter is kept; py_webauthn refuses a counter that went backwards
  (a cloned authenticator), and synced passkeys that always send 0 are accepted.
* A person's passkeys are counted on their record (`passkey_count`), written in the same
  transaction as the passkey, so "has a second factor" is read from the person alone.
* The options a page hands to the browser are plain JSON written here (WebAuthn Level 3
  §5.4, §5.5); py_webauthn verifies what comes back, and is imported only then: importing
  it costs ~170 ms of CPU (cbor2, pyOpenSSL, asn1 modules), which the login page, shown
  to everyone, must not pay on a cold start.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pynamodb.exceptions import TransactWriteError

from chalicelib.config import get_settings
from chalicelib.errors import InvalidRequest
from chalicelib.models import PasskeyModel, UserModel, conditional_write, now, transact_write
from chalicelib.records import assurance, challenges, users
from chalicelib.records.users import User

MAX_CREDENTIAL_JSON = 16384
MAX_NAME = 64
TIMEOUT_MS = 120_000
EXPIRED = "This passkey request has expired. Try again."
NOT_VERIFIED = "The passkey could not be verified."
ES256, RS256 = -7, -257


@dataclass(frozen=True)
class Passkey:
    credential_id: str
    name: str
    created_at: int
    last_used_at: int | None
    synced: bool


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rp_id() -> str:
    return urlsplit(get_settings().issuer).hostname or ""


def origin() -> str:
    parts = urlsplit(get_settings().issuer)
    return f"{parts.scheme}://{parts.netloc}"


def list_for(sub: str) -> list[Passkey]:
    return [
        Passkey(
            credential_id=record.credential_id,
            name=record.name,
            created_at=int(record.created_at),
            last_used_at=int(record.last_used_at) if record.last_used_at else None,
            synced=bool(record.backed_up),
        )
        for record in PasskeyModel.query(sub, consistent_read=True)
    ]


def registration_options(user: User) -> dict[str, Any]:
    """PublicKeyCredentialCreationOptionsJSON (WebAuthn Level 3 §5.4) for
    navigator.credentials.create(), with a new one-time challenge."""
    challenge = challenges.new_webauthn_challenge()
    challenges.create(challenges.PASSKEY_REGISTER, value=challenge, sub=user.sub)
    return {
        "rp": {"id": rp_id(), "name": get_settings().service_name},
        "user": {
            "id": b64url(user.sub.encode()),
            "name": user.username,
            "displayName": user.name or user.username,
        },
        "challenge": challenge,
        "pubKeyCredParams": [{"type": "public-key", "alg": alg} for alg in (ES256, RS256)],
        "timeout": TIMEOUT_MS,
        "excludeCredentials": _descriptors(user.sub),
        "authenticatorSelection": {
            "residentKey": "required",
            "requireResidentKey": True,
            "userVerification": "required",
        },
        "attestation": "none",
    }


def register(user: User, credential_json: str, name: str) -> Passkey:
    """Verify a new credential for `user` and keep it; InvalidRequest if it fails."""
    from webauthn import verify_registration_response
    from webauthn.helpers.exceptions import WebAuthnException

    credential = _parsed(credential_json)
    record = challenges.consume(_client_challenge(credential), challenges.PASSKEY_REGISTER)
    if record is None or record.sub != user.sub:
        raise InvalidRequest(EXPIRED)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=_unb64url(record.value),
            expected_rp_id=rp_id(),
            expected_origin=origin(),
            require_user_verification=True,
            supported_pub_key_algs=[ES256, RS256],
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise InvalidRequest(NOT_VERIFIED, detail=str(exc)[:200]) from exc
    transports = credential.get("response", {}).get("transports") or []
    passkey = PasskeyModel(
        sub=user.sub,
        credential_id=b64url(verified.credential_id),
        public_key=b64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        name=(name.strip() or "Passkey")[:MAX_NAME],
        device_type=verified.credential_device_type.value,
        backed_up=bool(verified.credential_backed_up),
        transports=[t for t in transports if isinstance(t, str)][:8],
    )
    try:
        with transact_write() as tx:
            tx.save(passkey, condition=PasskeyModel.credential_id.does_not_exist())
            tx.update(
                user,
                actions=[UserModel.passkey_count.add(1)],
                condition=users.may_act_condition(user.sub),
            )
    except TransactWriteError as exc:
        if exc.cause_response_code != "TransactionCanceledException":
            raise
        raise InvalidRequest("This passkey is already registered.") from exc
    return Passkey(
        passkey.credential_id, passkey.name, int(passkey.created_at), None, passkey.backed_up
    )


def authentication_options(
    sub: str | None = None, challenge: str | None = None
) -> tuple[dict[str, Any], str]:
    """(PublicKeyCredentialRequestOptionsJSON for navigator.credentials.get(), its
    challenge: `challenge` or a new one, which the caller keeps). With `sub`, the person's
    own passkeys are listed; without, any discoverable passkey may answer."""
    challenge = challenge or challenges.new_webauthn_challenge()
    options = {
        "challenge": challenge,
        "timeout": TIMEOUT_MS,
        "rpId": rp_id(),
        "allowCredentials": _descriptors(sub) if sub else [],
        "userVerification": "required",
    }
    return options, challenge


def _descriptors(sub: str) -> list[dict[str, Any]]:
    return [
        {"type": "public-key", "id": record.credential_id, "transports": list(record.transports)}
        for record in PasskeyModel.query(sub, consistent_read=True)
    ]


def sign_in_options() -> dict[str, Any]:
    """Options for a passkey sign-in without a username, its challenge kept for one use."""
    options, challenge = authentication_options()
    challenges.create(challenges.PASSKEY_SIGN_IN, value=challenge)
    return options


def client_challenge(credential_json: str) -> str:
    """The challenge a browser's response answers (to find its one-time record)."""
    return _client_challenge(_parsed(credential_json))


def authenticate(
    credential_json: str, expected_challenge: str, sub: str | None = None
) -> tuple[User, str]:
    """The person a passkey assertion proves, and its amr method (`hwk`/`swk`).

    `expected_challenge` must already be consumed by the caller; `sub`, when given, is the
    person the assertion must be from (a second factor after a password).
    """
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import WebAuthnException

    credential = _parsed(credential_json)
    owner = sub or _user_handle(credential)
    credential_id = credential.get("id")
    if not owner or not isinstance(credential_id, str) or len(credential_id) > 1024:
        raise InvalidRequest(NOT_VERIFIED, detail="no user handle or credential id")
    try:
        record = PasskeyModel.get(owner, credential_id, consistent_read=True)
    except PasskeyModel.DoesNotExist as exc:
        raise InvalidRequest(NOT_VERIFIED, detail="unknown credential") from exc
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=_unb64url(expected_challenge),
            expected_rp_id=rp_id(),
            expected_origin=origin(),
            credential_public_key=_unb64url(record.public_key),
            credential_current_sign_count=int(record.sign_count),
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise InvalidRequest(NOT_VERIFIED, detail=str(exc)[:200]) from exc
    user = users.active_by_sub(owner)
    if user is None:
        raise InvalidRequest(NOT_VERIFIED, detail="no such person, or disabled")
    used = [
        PasskeyModel.sign_count.set(verified.new_sign_count),
        PasskeyModel.last_used_at.set(now()),
        PasskeyModel.backed_up.set(bool(verified.credential_backed_up)),
    ]
    # Only while the passkey exists (removed meanwhile: no fragment of it is written back).
    if not conditional_write(
        record.update, actions=used, condition=PasskeyModel.credential_id.exists()
    ):
        raise InvalidRequest(NOT_VERIFIED, detail="passkey removed meanwhile")
    return user, assurance.passkey_method(bool(verified.credential_backed_up))


def remove(user: User, credential_id: str) -> bool:
    """Delete one of the person's passkeys; False if they have no such passkey."""
    record = PasskeyModel(sub=user.sub, credential_id=credential_id)
    try:
        with transact_write() as tx:
            tx.delete(record, condition=PasskeyModel.credential_id.exists())
            tx.update(
                user,
                actions=[UserModel.passkey_count.add(-1)],
                condition=UserModel.sub == user.sub,
            )
    except TransactWriteError as exc:
        if exc.cause_response_code != "TransactionCanceledException":
            raise
        return False
    return True


def remove_all(user: User) -> None:
    for passkey in list_for(user.sub):
        PasskeyModel(sub=user.sub, credential_id=passkey.credential_id).delete()
    users.update_person(user, [UserModel.passkey_count.set(0)])


def count(user: User) -> int:
    return int(user.passkey_count or 0)


def _parsed(credential_json: str) -> dict[str, Any]:
    if not credential_json or len(credential_json) > MAX_CREDENTIAL_JSON:
        raise InvalidRequest(NOT_VERIFIED, detail="missing or oversized credential")
    try:
        credential = json.loads(credential_json)
    except ValueError as exc:
        raise InvalidRequest(NOT_VERIFIED, detail="credential is not JSON") from exc
    if not isinstance(credential, dict) or not isinstance(credential.get("response"), dict):
        raise InvalidRequest(NOT_VERIFIED, detail="credential is not an object")
    return credential


def _client_challenge(credential: dict[str, Any]) -> str:
    try:
        client_data = json.loads(_unb64url(credential["response"]["clientDataJSON"]))
        challenge = client_data["challenge"]
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidRequest(NOT_VERIFIED, detail="unreadable clientDataJSON") from exc
    if not isinstance(challenge, str):
        raise InvalidRequest(NOT_VERIFIED, detail="no challenge")
    return challenge


def _user_handle(credential: dict[str, Any]) -> str | None:
    """The sub a discoverable passkey returns as its user handle, if it is readable."""
    handle = credential["response"].get("userHandle")
    if not isinstance(handle, str) or not handle or len(handle) > 128:
        return None
    try:
        return _unb64url(handle).decode("utf-8")
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None
