"""No input, however malformed, gets a 500 from any route (DESIGN.md, Errors)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.helpers.browser import Browser
from tests.helpers.forms import FORM, PASSWORD

SESSION, CSRF = "__Host-gh_session", "__Host-gh_csrf"
SIGN_IN = "__Host-gh_signin"  # a sign-in waiting for its second factor

ROUTES = [
    ("POST", "/token"),
    ("POST", "/revoke"),
    ("POST", "/introspect"),
    ("POST", "/device_authorization"),
    ("GET", "/authorize"),
    ("POST", "/authorize"),
    ("GET", "/userinfo"),
    ("POST", "/userinfo"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/consent"),
    ("GET", "/logout"),
    ("POST", "/logout"),
    ("GET", "/device"),
    ("POST", "/device"),
    ("GET", "/account/security"),
    ("POST", "/account/security"),
]
GARBAGE = [
    "",
    "=",
    "&&&",
    "a=%",
    "%zz=1",
    "client_id=" + "x" * 5000,
    "client_id=%00%01&redirect_uri=%00",
    "response_type=code&client_id=\u202e&redirect_uri=javascript:alert(1)",
    "grant_type=authorization_code&code=" + quote("\U0001f600" * 50),
    "token=" + "e" * 9000 + "&token_type_hint=refresh_token",
    "user_code=%E2%80%8B%E2%80%8B&decision=approve",
    "scope=" + quote(" ".join(["s"] * 500)),
    "grant_type=refresh_token&refresh_token=a.b.c",
    "grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=x&client_id=x",
    "id_token_hint=eyJhbGciOiJub25lIn0.e30.&post_logout_redirect_uri=https://x",
    "username=a&password=b&return_to=//evil.example",
    "step=second-factor&otp=%00%00%00%00%00%00&recovery_code=" + "z" * 500,
    "step=passkey&credential=" + quote('{"response": {"clientDataJSON": "%%%"}}'),
    "step=second-factor&credential=" + quote('{"id": [], "response": {"userHandle": 5}}'),
    "action=totp-confirm&otp=" + quote("\u0661" * 6) + "&credential_id=" + "x" * 3000,
    "action=passkey-register&credential=" + quote("[" * 5000),
]
HEADERS = [
    {**FORM},
    {**FORM, "Authorization": "Basic Og=="},
    {**FORM, "Authorization": "Bearer " + "a" * 100},
    {"Content-Type": "multipart/form-data; boundary=x"},
    # The cookie names the app really uses (checked below), so parsing, the session lookup
    # and the CSRF check all see the garbage.
    {**FORM, "Cookie": f"{SESSION}={'x' * 300}; {CSRF}=%%%"},
    {**FORM, "Cookie": f"{SESSION}={'A' * 43}; {CSRF}={'%00' * 20}; {SESSION}=again"},
    {**FORM, "Cookie": f'{SESSION}="";{CSRF}=a=b=c;;=;{CSRF}'},
    {**FORM, "Cookie": f"{SIGN_IN}={'x' * 43}; {CSRF}={'y' * 43}"},
]


def test_the_garbage_cookies_use_the_names_the_app_sets(http, make_user):
    make_user()
    browser = Browser(http)
    assert browser.login("alice", PASSWORD).status_code == 303
    assert {SESSION, CSRF} <= set(browser.cookies)
    from chalicelib.pages.cookies import sign_in_cookie_name

    assert sign_in_cookie_name() == SIGN_IN


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_malformed_requests_never_get_a_server_error(http, aws, method, path):
    for body in GARBAGE:
        for headers in HEADERS:
            if method == "GET":
                response = http.request(method, f"{path}?{body}", headers=headers)
            else:
                response = http.request(method, path, headers=headers, body=body.encode())
            assert response.status_code < 500, (
                method,
                path,
                body[:80],
                headers,
                response.body[:300],
            )


# Found by the fuzzer (tests/fuzz/): hmac.compare_digest raised TypeError on a non-ASCII str.
@pytest.mark.parametrize("path", ["/login", "/device", "/logout"])
def test_a_non_ascii_csrf_token_is_an_expired_form_not_a_server_error(http, make_user, path):
    make_user()
    browser = Browser(http)
    assert browser.login("alice", PASSWORD).status_code == 303
    form = {"csrf_token": "\u00e9\u200b", "username": "alice", "password": "x"}
    response = browser.post(path, {**form, "user_code": "BCDF-GHJK"})
    assert response.status_code == 400, response.body[:300]
    assert b"expired" in response.body
