"""Tokens presented to us: any string, and any structurally valid JWT with a wrong header,
key, signature or claims, gives InvalidToken (access tokens) or InvalidRequest
(id_token_hint), never another exception (RFC 8725)."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.errors import InvalidRequest, InvalidToken
from chalicelib.tokens.verification import verify_access_token, verify_id_token_hint
from tests.helpers import forged

SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
HEADER_VALUES = {
    "alg": st.sampled_from(["RS256", "ES256", "HS256", "none", "PS256", ""]) | JSON,
    "typ": st.sampled_from(["at+jwt", "JWT", "application/at+jwt", "jwt"]) | JSON,
    "kid": st.just("REAL") | JSON,
    "jku": st.just("https://evil.example/jwks"),
    "crit": st.just(["exp"]),
}
CLAIM_VALUES = {
    name: JSON | st.just("REAL")
    for name in ("iss", "sub", "aud", "exp", "iat", "jti", "scope", "client_id", "gh_rf")
}

VERIFIERS = [(verify_access_token, InvalidToken), (verify_id_token_hint, InvalidRequest)]


def segment(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def real(value: Any, kid: str) -> Any:
    if value == "REAL":
        return kid
    return value


@st.composite
def structured_jwts(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], str]:
    header = draw(st.fixed_dictionaries({}, optional=HEADER_VALUES))
    claims = draw(st.fixed_dictionaries({}, optional=CLAIM_VALUES))
    how = draw(st.sampled_from(["garbage", "attacker_rsa", "hs256", "none"]))
    return header, claims, how


def build(header: dict[str, Any], claims: dict[str, Any], how: str) -> str:
    kid = forged.real_kid()
    header = {name: real(value, kid) for name, value in header.items()}
    claims = {name: real(value, "https://auth.test") for name, value in claims.items()}
    if how == "attacker_rsa" and isinstance(header.get("alg"), str):
        try:
            return jwt.encode(claims, forged.attacker_key(), algorithm="RS256", headers=header)
        except (TypeError, ValueError, NotImplementedError, jwt.PyJWTError):
            pass  # PyJWT will not encode this header: forge the token by hand below instead
    if how == "hs256":
        signing_input = f"{segment(header)}.{segment(claims)}"
        return f"{signing_input}.{segment(signing_input)}"
    signature = "" if how == "none" else "c2ln"
    return f"{segment(header)}.{segment(claims)}.{signature}"


@pytest.mark.parametrize(("verify", "refusal"), VERIFIERS)
@given(token=st.text(max_size=300) | st.text("abcXYZ019-_.=", max_size=300))
def test_any_string_presented_as_a_jwt_is_refused_with_an_rfc_error(aws, verify, refusal, token):
    with pytest.raises(refusal):
        verify(token)


@pytest.mark.parametrize(("verify", "refusal"), VERIFIERS)
@given(parts=structured_jwts())
def test_a_well_formed_jwt_we_did_not_sign_is_refused_with_an_rfc_error(
    aws, verify, refusal, parts
):
    with pytest.raises(refusal):
        verify(build(*parts))
