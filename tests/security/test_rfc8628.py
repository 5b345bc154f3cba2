"""RFC 8628 §5 (device authorization security considerations), one test per rule that
applies to an authorization server. §5.3 (device trustworthiness), §5.5 (session spying)
and §5.7 (non-visual code transmission) concern the device and the person, not the AS."""

from __future__ import annotations

import math
from typing import Any

from tests.helpers.browser import Browser
from tests.helpers.device import DEVICE_GRANT as DEVICE
from tests.helpers.device import poll, start_flow
from tests.helpers.forms import PASSWORD


def signed_in(http: Any) -> Browser:
    browser = Browser(http)
    assert browser.login("alice", PASSWORD, return_to="/device").status_code == 303
    return browser


def test_user_codes_resist_brute_force(http, device_client, user) -> None:
    """§5.1: user codes carry ~34 bits and one source gets 5 wrong tries per 10 minutes,
    after which even the right code is refused: guessing a live code is hopeless."""
    from chalicelib.records import user_codes

    assert len(user_codes.ALPHABET) ** user_codes.LENGTH > 2**34
    flow = start_flow(http, device_client.client_id)
    browser = signed_in(http)
    for _ in range(5):
        browser.submit(browser.get("/device"), user_code="BCDF-GHJK")
    right = browser.submit(browser.get("/device"), user_code=flow["user_code"])
    assert "Too many wrong codes" in right.body.decode()


def test_device_codes_cannot_be_guessed(http, device_client) -> None:
    """§5.2: the device code is a 256-bit random value; an unknown one is invalid_grant."""
    flow = start_flow(http, device_client.client_id)
    assert len(flow["device_code"]) * math.log2(64) >= 256
    status, answer = poll(http, device_client.client_id, "A" * len(flow["device_code"]))
    assert (status, answer["error"]) == (400, "invalid_grant")


def test_the_person_sees_who_asks_and_must_approve(http, device_client, user) -> None:
    """§5.4 (remote phishing): entering a code shows the client's name and the scopes and
    asks for an explicit decision; nothing is granted by entering the code alone."""
    flow = start_flow(http, device_client.client_id)
    browser = signed_in(http)
    page = browser.submit(browser.get("/device"), user_code=flow["user_code"]).body.decode()
    assert device_client.name in page and 'value="approve"' in page and 'value="deny"' in page
    assert poll(http, device_client.client_id, flow["device_code"])[1]["error"] == (
        "authorization_pending"
    )


def test_a_phished_code_dies_soon(http, device_client, user, clock) -> None:
    """§5.4: device codes are short-lived (DEVICE_CODE_LIFETIME, 10 minutes), which bounds
    how long a code sent to a victim stays useful."""
    flow = start_flow(http, device_client.client_id)
    assert flow["expires_in"] <= 600
    clock.advance(flow["expires_in"] + 1)
    assert poll(http, device_client.client_id, flow["device_code"])[1]["error"] == "expired_token"


def test_a_device_code_is_bound_to_the_client_that_started_the_flow(
    http, device_client, make_client, user
) -> None:
    """§5.6 (non-confidential clients): device clients are public, so the device code is
    bound to the client_id that asked for it; another client cannot redeem it."""
    other, _ = make_client(name="Other TV", grant_types=[DEVICE], public=True)
    flow = start_flow(http, device_client.client_id)
    assert poll(http, other.client_id, flow["device_code"])[1]["error"] == "invalid_grant"
