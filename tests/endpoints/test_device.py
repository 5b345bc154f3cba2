"""The /device page (RFC 8628 §3.3, §5.1, §5.4) through the real app against moto."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers.browser import ISSUER, Browser, hidden_fields
from tests.helpers.device import expire, poll, start_flow
from tests.helpers.forms import PASSWORD

UNKNOWN = "That code was not recognised"
REFUSED = "Too many wrong codes"


@pytest.fixture
def browser(http: Any, user: Any) -> Browser:
    browser = Browser(http)
    assert browser.login("alice", PASSWORD, return_to="/device").status_code == 303
    return browser


@pytest.fixture
def flow(http: Any, device_client: Any) -> dict[str, Any]:
    return start_flow(http, device_client.client_id)


def enter(browser: Browser, typed: str) -> Any:
    return browser.submit(browser.get("/device"), user_code=typed)


def text(response: Any) -> str:
    return response.body.decode()


def test_without_a_session_the_page_sends_the_person_to_sign_in_and_back(http, user, flow):
    anonymous = Browser(http)
    response = anonymous.get(flow["verification_uri_complete"])
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    return_to = parse_qs(location.query)["return_to"][0]
    assert return_to == f"/device?user_code={flow['user_code']}"
    signed_in = anonymous.login("alice", PASSWORD, return_to=return_to)
    assert signed_in.headers["Location"] == ISSUER + return_to
    form = anonymous.get(signed_in.headers["Location"])
    assert f'value="{flow["user_code"]}"' in text(form)


def test_code_page_sends_the_security_headers_and_a_csrf_token(browser):
    page = browser.get("/device")
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert 'name="user_code"' in text(page) and hidden_fields(text(page))["csrf_token"]


def test_confirmation_names_the_client_lists_scopes_and_warns(browser, flow):
    page = enter(browser, flow["user_code"])
    html = text(page)
    assert page.status_code == 200
    assert "Living-room TV" in html and flow["user_code"] in html
    assert "<code>openid</code>" in html and "<code>api:read</code>" in html
    assert "in your hands" in html
    assert 'name="decision" value="approve"' in html and 'name="decision" value="deny"' in html


def test_wdjb_mjht_is_accepted_for_WDJB_MJHT(http, device_client, browser, monkeypatch):
    script = iter("WDJBMJHT")
    monkeypatch.setattr(secrets, "choice", lambda alphabet: next(script))
    flow = start_flow(http, device_client.client_id)
    assert flow["user_code"] == "WDJB-MJHT"
    page = enter(browser, "wdjb mjht")
    assert page.status_code == 200 and "Approve a device?" in text(page)


def test_approval_gives_the_polling_device_tokens_for_the_signed_in_user(
    http, device_client, browser, flow, user
):
    import jwt

    confirm = enter(browser, flow["user_code"].lower().replace("-", " "))
    done = browser.submit(confirm, decision="approve")
    assert done.status_code == 200 and "Device connected" in text(done)
    status, body = poll(http, device_client.client_id, flow["device_code"])
    assert status == 200, body
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == user.sub


def test_deny_gives_the_polling_device_access_denied(http, device_client, browser, flow):
    done = browser.submit(enter(browser, flow["user_code"]), decision="deny")
    assert "Request denied" in text(done)
    assert poll(http, device_client.client_id, flow["device_code"])[1]["error"] == "access_denied"


def test_a_second_approval_of_the_same_code_fails(http, browser, flow):
    confirm = enter(browser, flow["user_code"])
    assert browser.submit(confirm, decision="approve").status_code == 200
    again = browser.submit(confirm, decision="deny")
    assert again.status_code == 400 and UNKNOWN in text(again)
    assert UNKNOWN in text(enter(browser, flow["user_code"]))


def test_an_expired_code_is_refused(browser, flow):
    expire(flow["device_code"])
    page = enter(browser, flow["user_code"])
    assert page.status_code == 400 and UNKNOWN in text(page)


def test_a_post_without_the_csrf_token_approves_nothing(http, device_client, browser, flow):
    confirm = enter(browser, flow["user_code"])
    forged = browser.post("/device", {"user_code": flow["user_code"], "decision": "approve"})
    assert forged.status_code == 400 and "expired" in text(forged)
    wrong = {**hidden_fields(text(confirm)), "csrf_token": "0" * 64, "decision": "approve"}
    assert browser.post("/device", wrong).status_code == 400
    assert poll(http, device_client.client_id, flow["device_code"])[1]["error"] == (
        "authorization_pending"
    )


def test_a_disabled_user_cannot_approve_even_with_a_live_session(
    http, device_client, browser, flow, user
):
    from chalicelib.records.users import set_disabled

    confirm = enter(browser, flow["user_code"])
    set_disabled("alice")
    page = browser.submit(confirm, decision="approve")
    assert page.status_code == 403 and "cannot approve" in text(page)
    assert poll(http, device_client.client_id, flow["device_code"])[1]["error"] == (
        "authorization_pending"
    )


@pytest.mark.parametrize("where", ["query", "form"])
def test_whatever_was_typed_is_escaped_in_the_page(browser, where):
    typed = '"><script>alert(1)</script>'
    if where == "query":
        page = browser.get("/device", {"user_code": typed})
    else:
        page = enter(browser, typed)
    html = text(page)
    assert "<script>alert(1)" not in html and '"><' not in html
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_after_5_wrong_codes_even_the_right_code_gets_the_same_refusal_until_the_window_passes(
    browser, flow
):
    from chalicelib.models import CounterModel, now

    for _ in range(5):
        page = enter(browser, "BBBB-BBBB")
        assert page.status_code == 400 and UNKNOWN in text(page)
    wrong, right = enter(browser, "CCCC-CCCC"), enter(browser, flow["user_code"])
    assert wrong.status_code == right.status_code == 429
    assert REFUSED in text(wrong) and REFUSED in text(right)
    # When the 10-minute window has passed (moved on the counter, not slept)
    window = CounterModel.get("user_code_ip#127.0.0.1")
    window.update(actions=[CounterModel.expires_at.set(now())])
    assert "Approve a device?" in text(enter(browser, flow["user_code"]))


def test_malformed_entry_is_a_typing_hint_and_costs_no_try(browser, flow):
    for _ in range(8):
        page = enter(browser, "WDJB-MJ")
        assert page.status_code == 400 and "8 letters" in text(page)
    assert "Approve a device?" in text(enter(browser, flow["user_code"]))


def test_a_decision_other_than_approve_or_deny_changes_nothing(http, device_client, browser, flow):
    confirm = enter(browser, flow["user_code"])
    page = browser.submit(confirm, decision="maybe")
    assert page.status_code == 400 and "Approve or Deny" in text(page)
    assert poll(http, device_client.client_id, flow["device_code"])[1]["error"] == (
        "authorization_pending"
    )
