"""Access-token verification accepts only what we issue (userinfo and introspection use it).

Each forgery is checked twice: through /introspect (it must be `{"active": false}`, like any
inactive token) and directly, to prove which rule refused it.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import InvalidToken
from chalicelib.tokens.verification import verify_access_token
from tests.helpers import forged
from tests.helpers.tokens import App, introspect


def refused_because(token: str) -> str:
    with pytest.raises(InvalidToken) as raised:
        verify_access_token(token)
    return raised.value.detail


def test_alg_none_is_refused(http: Any, app: App) -> None:
    token = forged.alg_none()
    assert introspect(http, app, token) == {"active": False}
    assert refused_because(token) == "algorithm"


def test_hs256_signed_with_our_public_key_is_refused(http: Any, app: App) -> None:
    token = forged.hs256_with_public_key()
    assert introspect(http, app, token) == {"active": False}
    assert refused_because(token) == "algorithm"


def test_unknown_kid_is_refused(http: Any, app: App) -> None:
    token = forged.unknown_kid()
    assert introspect(http, app, token) == {"active": False}
    assert refused_because(token) == "unknown kid"


@pytest.mark.parametrize("name", ["jwk", "jku", "x5u", "x5c"])
def test_keys_or_key_urls_in_the_header_are_refused(http: Any, app: App, name: str) -> None:
    token = (
        forged.embedded_jwk()
        if name == "jwk"
        else forged.attacker_signed(**{name: "https://evil.example/keys"})
    )
    assert introspect(http, app, token) == {"active": False}
    assert refused_because(token) == "forbidden header"


def test_crit_header_is_refused(http: Any, app: App) -> None:
    token = forged.attacker_signed(crit=["exp"])
    assert introspect(http, app, token) == {"active": False}
    # PyJWT already refuses a crit it does not understand while parsing; our rule backs it up
    assert refused_because(token) in {"malformed", "forbidden header"}
    understood_by_pyjwt = forged.raw(
        {"alg": "RS256", "typ": "at+jwt", "kid": forged.real_kid(), "crit": ["b64"], "b64": True}
    )
    assert refused_because(understood_by_pyjwt) == "forbidden header"


def test_token_over_8kb_is_refused_before_parsing(http: Any, app: App) -> None:
    too_big = forged.attacker_signed(padding="x" * 8192)
    assert len(too_big) > 8192
    assert introspect(http, app, too_big) == {"active": False}
    assert refused_because(too_big) == "size"  # the size rule, before any parsing


def test_bad_signature_is_refused(http: Any, app: App) -> None:
    token = forged.bad_signature(forged.ours())
    assert introspect(http, app, token) == {"active": False}
    assert refused_because(token) == "InvalidSignatureError"


def test_another_issuers_token_is_refused(http: Any, app: App) -> None:
    token = forged.ours(iss="https://other.example")
    assert introspect(http, app, token) == {"active": False}
    assert refused_because(token) == "InvalidIssuerError"


def test_expired_token_is_refused(http: Any, app: App) -> None:
    token = forged.ours(iat=1_600_000_000, exp=1_600_000_600)
    assert introspect(http, app, token) == {"active": False}
    assert refused_because(token) == "ExpiredSignatureError"


def test_token_of_another_type_is_refused(http: Any, app: App) -> None:
    id_token_like = forged.ours(typ="JWT")
    assert introspect(http, app, id_token_like) == {"active": False}
    assert refused_because(id_token_like) == "typ"


def test_alg_switched_under_a_known_kid_is_refused(app: App) -> None:
    switched = forged.raw({"alg": "ES256", "typ": "at+jwt", "kid": forged.real_kid()})
    assert refused_because(switched) == "unknown kid"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b.c",
        "e30.e30.",
        "W10.e30.sig",  # header is a JSON array
        "eyJhbGciOlsiUlMyNTYiXX0.e30.sig",  # alg is a list
        "eyJhbGciOnsiYSI6MX19.e30.sig",  # alg is an object
        "é.é.é",
    ],
)
def test_malformed_tokens_are_inactive_never_an_error(http: Any, app: App, token: str) -> None:
    if token:
        assert introspect(http, app, token) == {"active": False}
    with pytest.raises(InvalidToken):
        verify_access_token(token)


def test_genuine_es256_and_rs256_tokens_are_accepted(http: Any, user: Any, app: App) -> None:
    for alg in ("RS256", "ES256"):  # a real user's: introspection checks the account too
        answer = introspect(http, app, forged.ours(alg=alg, sub=user.sub))
        assert answer["active"] is True and answer["token_type"] == "Bearer"


@pytest.mark.parametrize(
    ("header", "rule"),
    [
        ({"alg": "none"}, "algorithm"),
        ({"alg": ["RS256"]}, "algorithm"),
        ({"alg": "RS256", "jku": "https://evil.example/jwks"}, "forbidden header"),
        ({"alg": "RS256", "jwk": {"kty": "RSA"}}, "forbidden header"),
        ({"alg": "RS256", "crit": ["exp"]}, "malformed|forbidden header"),  # PyJWT may go first
        ({"alg": "RS256", "typ": "at+jwt"}, "typ"),
        ({"alg": "ES256"}, "unknown kid"),  # the RS256 key's kid under another alg
    ],
)
def test_id_token_hints_pass_the_same_header_rules_as_access_tokens(
    aws: None, header: dict[str, Any], rule: str
) -> None:
    from chalicelib.errors import InvalidRequest
    from chalicelib.tokens.verification import verify_id_token_hint

    rs256_kid = next(k["kid"] for k in _published() if k["alg"] == "RS256")
    hint = forged.raw({"typ": "JWT", "kid": rs256_kid, **header})
    with pytest.raises(InvalidRequest) as raised:
        verify_id_token_hint(hint)
    assert raised.value.detail in rule.split("|")


def test_an_expired_id_token_hint_is_accepted_but_an_expired_access_token_is_not(
    aws: None,
) -> None:
    from chalicelib.tokens.verification import verify_id_token_hint

    expired = {"exp": 1_000_000_000, "aud": "some-client"}
    assert verify_id_token_hint(forged.ours(typ="JWT", **expired))["sub"]
    assert refused_because(forged.ours(**expired)) == "ExpiredSignatureError"


def _published() -> list[dict[str, str]]:
    from chalicelib.signing import keys

    return keys.jwks()["keys"]
