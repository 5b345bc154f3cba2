"""Per-source limits count an IPv4 address, or the /64 of an IPv6 address.

One host owns a whole IPv6 /64 (RFC 4291 §2.5.1, interface identifiers are 64 bits; RFC
7421), so counting single IPv6 addresses would give it 2^64 fresh counters.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.records import ratelimit
from tests.helpers.browser import Browser
from tests.helpers.forms import PASSWORD
from tests.helpers.sources import send_from


@pytest.mark.parametrize(
    ("source", "subject"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("fe80::1%eth0", "fe80::/64"),
    ],
)
def test_a_source_is_its_ipv4_address_or_its_ipv6_64(source: str, subject: str) -> None:
    assert ratelimit.source_subject(source) == subject


@pytest.mark.parametrize("source", ["", "not an address", "192.0.2.999", "1:2:3", "\x00", "::g"])
def test_a_malformed_source_shares_the_unknown_counter_and_never_raises(source: str) -> None:
    assert ratelimit.source_subject(source) == "unknown"


def wrong_codes_from(browser: Browser, monkeypatch: pytest.MonkeyPatch, source: str, n: int) -> Any:
    send_from(monkeypatch, source)
    page = None
    for _ in range(n):
        page = browser.submit(browser.get("/device"), user_code="BBBB-BBBB")
    return page


def test_two_ipv6_addresses_in_one_64_share_the_user_code_counter_and_another_64_does_not(
    http: Any, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a signed-in person and five wrong codes from one address of a /64
    browser = Browser(http)
    assert browser.login("alice", PASSWORD, return_to="/device").status_code == 303
    assert wrong_codes_from(browser, monkeypatch, "2001:db8:1:2::1", 5).status_code == 400
    # Then another address of that /64 is refused, and an address in the next /64 is not
    assert wrong_codes_from(browser, monkeypatch, "2001:db8:1:2:aaaa::9", 1).status_code == 429
    assert wrong_codes_from(browser, monkeypatch, "2001:db8:1:3::1", 1).status_code == 400


def test_an_ipv4_mapped_ipv6_source_counts_as_its_ipv4_address(
    http: Any, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = Browser(http)
    assert browser.login("alice", PASSWORD, return_to="/device").status_code == 303
    assert wrong_codes_from(browser, monkeypatch, "::ffff:192.0.2.7", 5).status_code == 400
    assert wrong_codes_from(browser, monkeypatch, "192.0.2.7", 1).status_code == 429


def test_a_malformed_source_address_gets_an_answer_not_a_server_error(
    http: Any, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    send_from(monkeypatch, "999.1.2.3, <script>")
    assert Browser(http).login("alice", "wrong password").status_code == 400
