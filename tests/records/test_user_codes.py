"""User codes: format, normalisation of what people type, and the brute-force guard."""

from __future__ import annotations

import pytest

from chalicelib.records import user_codes


def test_generated_codes_use_only_the_20_consonants_and_have_8_characters():
    codes = {user_codes.generate() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and set(c) <= set("BCDFGHJKLMNPQRSTVWXZ") for c in codes)
    assert user_codes.display("WDJBMJHT") == "WDJB-MJHT"


@pytest.mark.parametrize(
    "typed",
    ["wdjb mjht", "WDJB-MJHT", "wdjbmjht", " Wd-Jb_mJ.hT ", "WDJB\u2013MJHT", "wdjb-mjht0"],
)
def test_entry_normalises_case_dashes_spaces_and_characters_outside_the_alphabet(typed):
    assert user_codes.normalise(typed) == "WDJBMJHT"


@pytest.mark.parametrize("typed", ["", "WDJB-MJH", "WDJB-MJHTB", "wdjb-mjh\u017f", "x" * 65])
def test_entry_that_cannot_be_a_code_is_refused(typed):
    assert user_codes.normalise(typed) is None


def wrong_try(ip):
    user_codes.charge(ip)
    user_codes.record_lookup(ip, found=False)


def test_five_wrong_codes_from_one_ip_refuse_every_later_try_then_the_window_lifts(aws):
    from chalicelib.errors import AccessDenied
    from chalicelib.models import CounterModel, now

    for _ in range(5):
        wrong_try("198.51.100.7")
    assert user_codes.is_refused("198.51.100.7")
    with pytest.raises(AccessDenied) as refused:
        user_codes.charge("198.51.100.7")  # refused before the code is even looked at
    assert refused.value.status_code == 429
    user_codes.charge("203.0.113.9")  # another IP is not affected
    # When the 10-minute window has passed, tries are allowed again
    window = CounterModel.get("user_code_ip#198.51.100.7")
    assert window.expires_at - now() in range(595, 601)
    window.update(actions=[CounterModel.expires_at.set(now())])
    assert not user_codes.is_refused("198.51.100.7")
    user_codes.charge("198.51.100.7")


def test_right_codes_are_refunded_and_never_lock_a_person_out(aws):
    for _ in range(4):
        wrong_try("198.51.100.8")
    for _ in range(10):
        user_codes.charge("198.51.100.8")
        user_codes.record_lookup("198.51.100.8", found=True)
    assert not user_codes.is_refused("198.51.100.8")


def test_wrong_codes_are_counted_in_total_across_ips(aws):
    from chalicelib.records.ratelimit import count_of

    for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        wrong_try(ip)
    assert count_of(user_codes.TOTAL, "all") == 3
