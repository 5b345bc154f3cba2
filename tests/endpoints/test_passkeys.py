"""Passkeys through the app, answered by a software authenticator (tests/helpers/
authenticator.py; the browser tests use Chromium's virtual one): registration on
/account/security, sign-in with a passkey alone and as a second factor, and refusals."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.records import challenges, passkeys, sessions, users
from tests.helpers.authenticator import Authenticator
from tests.helpers.browser import Browser, hidden_fields
from tests.helpers.forms import PASSWORD
from tests.helpers.mfa import account_action
from tests.helpers.races import atomic_moto_dynamodb, race

ORIGIN = "https://auth.test"
SESSION = "__Host-gh_session"


def options_of(page: Any) -> dict[str, Any]:
    found = re.search(r"var options = (\{.*?\});\n", page.body.decode())
    assert found, page.body
    return json.loads(found.group(1))


def form_fields(page: Any, form_id: str) -> dict[str, str]:
    html = page.body.decode()
    start = html.index(f'id="{form_id}"')
    return hidden_fields(html[html.rindex("<form", 0, start) :])


@pytest.fixture
def device() -> Authenticator:
    return Authenticator(origin=ORIGIN)


@pytest.fixture
def signed_in(http: Any, user: Any, clock: SimpleNamespace) -> Browser:
    browser = Browser(http)
    assert browser.login("alice", PASSWORD).status_code == 303
    return browser


def register(browser: Browser, device: Authenticator, name: str = "Phone") -> Any:
    page = browser.get("/account/security")
    credential = device.create(options_of(page))
    fields = {**form_fields(page, "passkey-form"), "credential": credential, "name": name}
    return browser.post("/account/security", fields)


def passkey_sign_in(http: Any, device: Authenticator, **overrides: Any) -> tuple[Browser, Any]:
    browser = Browser(http)
    page = browser.get("/login")
    credential = device.get(options_of(page), **overrides)
    fields = {**form_fields(page, "passkey-form"), "credential": credential}
    return browser, browser.post("/login", fields)


def amr_of(browser: Browser) -> tuple[str, ...]:
    return sessions.load(browser.cookies[SESSION]).amr


def test_registration_asks_for_a_discoverable_user_verified_es256_or_rs256_key(
    signed_in: Browser,
) -> None:
    options = options_of(signed_in.get("/account/security"))
    assert options["rp"]["id"] == "auth.test"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-7, -257]
    user = users.get_user("alice")
    assert options["user"]["id"] == passkeys.b64url(user.sub.encode())  # never the username


def test_a_registered_passkey_is_listed_counted_and_brings_recovery_codes(
    signed_in: Browser, device: Authenticator
) -> None:
    done = register(signed_in, device, name="Alice's phone")
    assert done.status_code == 200 and b'id="recovery-codes"' in done.body
    assert amr_of(signed_in) == ("pwd", "hwk", "mfa")  # proved by registering it
    assert users.get_user("alice").passkey_count == 1
    page = signed_in.get("/account/security").body.decode()
    assert "Alice&#39;s phone" in page and 'id="passkeys"' in page
    again = options_of(signed_in.get("/account/security"))
    assert [c["id"] for c in again["excludeCredentials"]] == [
        passkeys.b64url(device.credentials[0].credential_id)
    ]


def test_a_passkey_alone_signs_in_as_two_factors(
    http: Any, signed_in: Browser, device: Authenticator
) -> None:
    register(signed_in, device)
    browser, response = passkey_sign_in(http, device)
    assert response.status_code == 303 and amr_of(browser) == ("hwk", "mfa")


def test_a_synced_passkey_is_a_software_key(
    http: Any, signed_in: Browser, device: Authenticator
) -> None:
    device.synced = True
    register(signed_in, device)
    browser, _ = passkey_sign_in(http, device)
    assert amr_of(browser) == ("swk", "mfa")


def test_after_a_password_a_passkey_is_the_second_factor(
    http: Any, signed_in: Browser, device: Authenticator
) -> None:
    register(signed_in, device)
    browser = Browser(http)
    page = browser.login("alice", PASSWORD)
    assert page.status_code == 200 and b'id="passkey-verify"' in page.body
    options = options_of(page)
    assert [c["id"] for c in options["allowCredentials"]] == [
        passkeys.b64url(device.credentials[0].credential_id)
    ]
    fields = {**form_fields(page, "passkey-form"), "credential": device.get(options)}
    assert browser.post("/login", fields).status_code == 303
    assert amr_of(browser) == ("pwd", "hwk", "mfa")


def test_an_assertion_works_once(http: Any, signed_in: Browser, device: Authenticator) -> None:
    register(signed_in, device)
    browser = Browser(http)
    page = browser.get("/login")
    fields = {**form_fields(page, "passkey-form"), "credential": device.get(options_of(page))}
    assert browser.post("/login", fields).status_code == 303
    replayed = Browser(http)
    replayed.get("/login")
    fields["csrf_token"] = hidden_fields(replayed.get("/login").body.decode())["csrf_token"]
    answer = replayed.post("/login", fields)
    assert answer.status_code == 400 and b"expired" in answer.body
    assert SESSION not in replayed.cookies


def test_a_challenge_is_spent_once_under_racing_requests(aws: None) -> None:
    value = challenges.new_webauthn_challenge()
    challenges.create(challenges.PASSKEY_SIGN_IN, value=value)
    with atomic_moto_dynamodb():
        spent = race(
            [lambda: challenges.consume(value, challenges.PASSKEY_SIGN_IN) for _ in range(8)]
        )
    assert sum(found is not None for found in spent) == 1


def test_a_login_page_challenge_expires(
    http: Any, signed_in: Browser, device: Authenticator, clock: SimpleNamespace
) -> None:
    register(signed_in, device)
    browser = Browser(http)
    page = browser.get("/login")
    fields = {**form_fields(page, "passkey-form"), "credential": device.get(options_of(page))}
    clock.advance(301)
    assert browser.post("/login", fields).status_code == 400


@pytest.mark.parametrize(
    "broken",
    [
        {"rp_id": "evil.example"},
        {"challenge": challenges.new_webauthn_challenge()},
    ],
)
def test_an_assertion_for_another_site_or_challenge_is_refused(
    http: Any, signed_in: Browser, device: Authenticator, broken: dict[str, str]
) -> None:
    register(signed_in, device)
    browser, response = passkey_sign_in(http, device, **broken)
    assert response.status_code == 400 and SESSION not in browser.cookies


def test_an_assertion_from_another_origin_is_refused(
    http: Any, signed_in: Browser, device: Authenticator
) -> None:
    register(signed_in, device)
    device.origin = "https://auth.test.evil.example"
    browser, response = passkey_sign_in(http, device)
    assert response.status_code == 400 and SESSION not in browser.cookies


def test_a_passkey_without_user_verification_is_refused(
    http: Any, signed_in: Browser, device: Authenticator
) -> None:
    device.verify_user = False
    refused = register(signed_in, device)
    assert refused.status_code == 400 and b"could not be verified" in refused.body
    assert not users.get_user("alice").passkey_count
    device.verify_user = True
    register(signed_in, device)
    device.verify_user = False
    browser, response = passkey_sign_in(http, device)
    assert response.status_code == 400 and SESSION not in browser.cookies


def test_a_registration_challenge_belongs_to_one_person(
    http: Any, signed_in: Browser, device: Authenticator, make_user: Any, clock: SimpleNamespace
) -> None:
    alices = options_of(signed_in.get("/account/security"))
    make_user("bob")
    bob = Browser(http)
    bob.login("bob", PASSWORD)
    page = bob.get("/account/security")
    credential = device.create(options_of(page), challenge=alices["challenge"])
    fields = {**form_fields(page, "passkey-form"), "credential": credential}
    refused = bob.post("/account/security", fields)
    assert refused.status_code == 400 and b"expired" in refused.body
    assert not users.get_user("bob").passkey_count


def test_someone_elses_passkey_is_no_second_factor(
    http: Any, signed_in: Browser, device: Authenticator, make_user: Any
) -> None:
    register(signed_in, device)  # alice's passkey
    make_user("bob")
    bob = Browser(http)
    bob.login("bob", PASSWORD)
    register(bob, Authenticator(origin=ORIGIN))
    browser = Browser(http)
    page = browser.login("bob", PASSWORD)
    fields = {**form_fields(page, "passkey-form"), "credential": device.get(options_of(page))}
    assert browser.post("/login", fields).status_code == 400
    assert SESSION not in browser.cookies


def test_a_disabled_persons_passkey_signs_no_one_in(
    http: Any, signed_in: Browser, device: Authenticator
) -> None:
    register(signed_in, device)
    users.set_disabled("alice")
    browser, response = passkey_sign_in(http, device)
    assert response.status_code == 400 and SESSION not in browser.cookies


@pytest.mark.parametrize(
    "credential",
    [
        "",
        "not json",
        "[]",
        '{"response": 1}',
        '{"id": "x", "response": {}}',
        '{"id": "x", "response": {"clientDataJSON": "!!!"}}',
        '{"id": "x", "response": {"clientDataJSON": "e30"}}',
        '{"id": 5, "response": {"clientDataJSON": "eyJjaGFsbGVuZ2UiOiAxfQ"}}',
        "x" * 20000,
    ],
)
def test_garbage_credentials_are_clear_errors_not_server_errors(
    http: Any, signed_in: Browser, credential: str
) -> None:
    page = signed_in.get("/account/security")
    fields = {**form_fields(page, "passkey-form"), "credential": credential}
    assert signed_in.post("/account/security", fields).status_code == 400
    browser = Browser(http)
    login = browser.get("/login")
    fields = {**form_fields(login, "passkey-form"), "credential": credential}
    assert browser.post("/login", fields).status_code == 400


def test_a_removed_passkey_signs_in_no_more_and_takes_the_codes_with_it(
    http: Any, signed_in: Browser, device: Authenticator
) -> None:
    register(signed_in, device)
    credential_id = passkeys.b64url(device.credentials[0].credential_id)
    assert (
        account_action(signed_in, "passkey-remove", credential_id=credential_id).status_code == 303
    )
    user = users.get_user("alice")
    assert not user.passkey_count and not user.recovery_codes
    _, response = passkey_sign_in(http, device)
    assert response.status_code == 400


def test_a_passkey_removed_before_its_answer_arrives_signs_no_one_in(
    http: Any, signed_in: Browser, device: Authenticator
) -> None:
    from chalicelib.models import PasskeyModel

    register(signed_in, device)
    browser = Browser(http)
    page = browser.get("/login")
    credential = device.get(options_of(page))
    user = users.get_user("alice")
    for record in PasskeyModel.query(user.sub):
        record.delete()  # removed between the page and the answer
    fields = {**form_fields(page, "passkey-form"), "credential": credential}
    assert browser.post("/login", fields).status_code == 400
    assert list(PasskeyModel.query(user.sub)) == []


def test_a_passkey_as_second_factor_clears_the_count_of_failed_attempts(
    http: Any, signed_in: Browser, device: Authenticator
) -> None:
    from chalicelib.opaque import sha256_hex
    from chalicelib.records import password_attempts, ratelimit

    register(signed_in, device)
    browser = Browser(http)
    for _ in range(3):
        assert browser.login("alice", "wrong password").status_code == 400
    page = browser.login("alice", PASSWORD)
    account = (password_attempts.PER_USER, sha256_hex("alice"))
    assert ratelimit.count_of(*account) == 4  # the right password settles nothing yet
    fields = {**form_fields(page, "passkey-form"), "credential": device.get(options_of(page))}
    assert browser.post("/login", fields).status_code == 303
    assert ratelimit.count_of(*account) == 0
