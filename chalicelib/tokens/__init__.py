"""Tokens we issue: access tokens (RFC 9068), ID tokens (OIDC Core), refresh tokens.

access_tokens.py and id_tokens.py mint JWTs (signed by signing/); verification.py is the
one place a presented JWT is checked; refresh_tokens.py and refresh_families.py keep the
opaque refresh tokens and the grants they belong to.
"""

from __future__ import annotations

TOKEN_TYPES = ("access_token", "refresh_token")


def by_hint(hint: str | None) -> tuple[str, ...]:
    """Token types in the order to try: the hinted one first (RFC 7009 §2.1, RFC 7662 §2.1);
    an unknown hint is ignored, since it only ever sets the order."""
    if hint in TOKEN_TYPES:
        return (hint, *(t for t in TOKEN_TYPES if t != hint))
    return TOKEN_TYPES
