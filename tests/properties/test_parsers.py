"""Any input to a request parser gives a value or an RFC error (an OAuthError), never
another exception: form bodies, query strings, Basic credentials, scopes, user codes."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from chalice.app import Request
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.errors import InvalidClient, InvalidRequest, InvalidScope
from chalicelib.grants.common import SCOPE_CHARS, parse_scope, resolve_scope
from chalicelib.http import basic_credentials, form_params, query_params
from chalicelib.records import user_codes

CONTENT_TYPES = st.sampled_from(
    [None, "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8",
     "APPLICATION/X-WWW-FORM-URLENCODED", "text/plain", "multipart/form-data; boundary=x", ""]
)  # fmt: skip
PAIRS = st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=80)
SCOPE_TOKEN = st.text(st.sampled_from(sorted(SCOPE_CHARS)), min_size=1, max_size=12)


def request(
    body: bytes | None = None, headers: dict[str, str] | None = None, query: Any = None
) -> Request:
    """A Chalice request as API Gateway's proxy event gives it."""
    return Request(
        {
            "multiValueQueryStringParameters": query,
            "headers": headers or {},
            "pathParameters": None,
            "requestContext": {
                "httpMethod": "POST",
                "resourcePath": "/token",
                "identity": {"sourceIp": "198.51.100.7"},
            },
            "body": base64.b64encode(body).decode() if body is not None else None,
            "isBase64Encoded": True,
            "stageVariables": None,
        }
    )


FORMS = PAIRS.map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs).encode())


@given(body=st.binary(max_size=600) | FORMS, content_type=CONTENT_TYPES)
def test_any_form_body_is_parameters_or_invalid_request(body, content_type):
    headers = {"content-type": content_type} if content_type is not None else {}
    try:
        params = form_params(request(body, headers))
    except InvalidRequest as err:
        assert err.status_code in (400, 413, 415)
        return
    assert all(value for value in params.values.values())  # empty values count as omitted


@given(pairs=PAIRS)
def test_a_form_of_distinct_names_comes_back_as_sent(pairs):
    distinct = dict(pairs)
    distinct.pop("resource", None)
    body = "&".join(f"{quote(k)}={quote(v)}" for k, v in distinct.items()).encode()
    try:
        params = form_params(request(body, {"content-type": "application/x-www-form-urlencoded"}))
    except InvalidRequest:
        assert len(distinct) > 64  # only too many fields is refused
        return
    assert params.values == {k: v for k, v in distinct.items() if v}


@given(
    query=st.none()
    | st.dictionaries(st.text(max_size=8), st.lists(st.text(max_size=8), max_size=3))
)
def test_any_query_string_is_parameters_or_invalid_request(query):
    try:
        query_params(request(query=query))
    except InvalidRequest:
        return


@given(header=st.text(max_size=200) | st.binary(max_size=60).map(
    lambda raw: "Basic " + base64.b64encode(raw).decode()))  # fmt: skip
def test_any_authorization_header_is_credentials_none_or_invalid_client(header):
    try:
        found = basic_credentials(request(headers={"authorization": header}))
    except InvalidClient as err:
        assert err.status_code == 401
        assert err.headers["WWW-Authenticate"].startswith("Basic ")
        return
    assert found is None or (isinstance(found, tuple) and found[0])


@given(client_id=st.text(min_size=1, max_size=40), secret=st.text(max_size=40))
def test_basic_credentials_form_urlencoded_then_base64_come_back_unchanged(client_id, secret):
    # RFC 6749 §2.3.1: each half is form-urlencoded before base64.
    pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
    header = "Basic " + base64.b64encode(pair.encode()).decode()
    assert basic_credentials(request(headers={"authorization": header})) == (client_id, secret)


@given(raw=st.none() | st.text(max_size=120))
def test_any_scope_string_is_scope_tokens_or_invalid_scope(raw):
    try:
        names = parse_scope(raw)
    except InvalidScope:
        return
    assert len(names) == len(set(names))
    assert all(name and set(name) <= SCOPE_CHARS for name in names)


@given(asked=st.lists(SCOPE_TOKEN, max_size=6), allowed=st.frozensets(SCOPE_TOKEN, max_size=6))
def test_a_resolved_scope_is_within_the_clients_or_invalid_scope(asked, allowed):
    try:
        scope = resolve_scope(" ".join(asked), allowed, default="default")
    except InvalidScope:
        assert not set(asked) <= allowed
        return
    assert scope == "default" if not asked else set(scope.split()) <= allowed


@given(raw=st.none() | st.text(max_size=100))
def test_any_typed_user_code_normalises_to_eight_letters_or_none(raw):
    code = user_codes.normalise(raw)
    assert code is None or (len(code) == 8 and set(code) <= set(user_codes.ALPHABET))
    try:
        assert user_codes.require(raw) == code
    except InvalidRequest:
        assert code is None


@given(code=st.text(st.sampled_from(user_codes.ALPHABET), min_size=8, max_size=8),
       noise=st.sampled_from(["", "-", " ", "  -  "]), lower=st.booleans())  # fmt: skip
def test_a_code_as_shown_or_typed_loosely_normalises_to_itself(code, noise, lower):
    typed = f"{code[:4]}{noise}{code[4:]}"
    assert user_codes.normalise(typed.lower() if lower else typed) == code
    assert user_codes.normalise(user_codes.display(code)) == code
