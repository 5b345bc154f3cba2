"""Proof Key for Code Exchange, RFC 7636, as pure functions.

Decisions: S256 for everyone; `plain` only for a client registered with
`allow_plain_pkce` (§4.2 allows it; RFC 9700 §2.1.1 says use S256). An omitted
`code_challenge_method` means `plain` (§4.3), so it is refused like `plain`. A challenge is
required for public clients and clients registered with `require_pkce`. A verifier sent for
a code issued without a challenge is refused: that is a downgrade (RFC 9700 §4.8.2).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from chalicelib.errors import InvalidGrant, InvalidRequest

METHODS = ("S256", "plain")
# §4.1 code-verifier and §4.2 code-challenge: 43-128 characters of [A-Za-z0-9-._~].
UNRESERVED_43_128 = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def check_challenge(
    challenge: str | None, method: str | None, *, required: bool, allow_plain: bool
) -> tuple[str | None, str | None]:
    """The (challenge, method) to store with the code; InvalidRequest if unacceptable."""
    if challenge is None:
        if method is not None:
            raise InvalidRequest("code_challenge_method without code_challenge")
        if required:
            raise InvalidRequest("code_challenge required (PKCE, S256)")
        return None, None
    method = method or "plain"
    if method not in METHODS:
        raise InvalidRequest("code_challenge_method must be S256")
    if method == "plain" and not allow_plain:
        raise InvalidRequest("code_challenge_method must be S256")
    if not UNRESERVED_43_128.fullmatch(challenge):
        raise InvalidRequest("code_challenge must be 43-128 unreserved characters")
    return challenge, method


def verify(verifier: str | None, challenge: str | None, method: str | None) -> None:
    """Check the token request's verifier against the stored challenge; InvalidGrant if not."""
    if challenge is None:
        if verifier is not None:
            raise InvalidGrant("code_verifier sent for a code issued without code_challenge")
        return
    if verifier is None:
        raise InvalidGrant("code_verifier required")
    if not UNRESERVED_43_128.fullmatch(verifier):
        raise InvalidRequest("code_verifier must be 43-128 unreserved characters")
    derived = s256(verifier) if method == "S256" else verifier
    if not hmac.compare_digest(derived.encode(), challenge.encode()):
        raise InvalidGrant("code_verifier does not match code_challenge")
