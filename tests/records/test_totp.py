"""Authenticator apps (RFC 6238) on the record, with a frozen clock: window edges, replay,
the enrolment's confirmation, and the sealed key."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.models import UserModel
from chalicelib.records import totp, users
from tests.helpers.mfa import code_at, secret_of
from tests.helpers.races import atomic_moto_dynamodb, race


def reread(user: Any) -> Any:
    return users.get_user(user.username)


@pytest.fixture
def enrolled(user: Any, clock: SimpleNamespace) -> tuple[Any, str]:
    """alice with a confirmed app (its first code spent); the clock at a step's start."""
    clock.at = (int(clock.at) // 30) * 30 + 30
    secret = secret_of(totp.start(user).uri)
    assert totp.confirm(reread(user), code_at(secret, clock.at))
    clock.advance(60)  # two steps on: the confirming code's step is behind the window
    return reread(user), secret


def test_the_uri_is_what_authenticator_apps_expect(user: Any) -> None:
    enrolment = totp.start(user)
    assert enrolment.uri.startswith("otpauth://totp/Gatehouse:alice?")
    for part in ("digits=6", "algorithm=SHA1", "period=30", "issuer=Gatehouse"):
        assert part in enrolment.uri
    secret = secret_of(enrolment.uri)
    assert secret == enrolment.secret and len(secret) == 32  # 160 bits in base32


def test_the_key_is_stored_sealed_and_only_for_its_owner(user: Any, make_user: Any) -> None:
    from chalicelib.signing import sealing

    secret = secret_of(totp.start(user).uri)
    record = UserModel.get("alice")
    assert secret not in (record.totp_pending or "") and record.totp_secret is None
    other = make_user("bob")
    with pytest.raises(Exception, match="InvalidCiphertext"):
        sealing.unseal(record.totp_pending, purpose="totp", owner=other.sub)


def test_an_enrolment_needs_one_right_code(user: Any, clock: SimpleNamespace) -> None:
    secret = secret_of(totp.start(user).uri)
    wrong = f"{(int(code_at(secret, clock.at)) + 1) % 10**6:06d}"
    assert not totp.confirm(reread(user), wrong)
    assert not totp.enrolled(reread(user))
    assert totp.confirm(reread(user), code_at(secret, clock.at))
    record = reread(user)
    assert totp.enrolled(record) and record.totp_pending is None


def test_an_enrolment_left_too_long_cannot_be_confirmed(user: Any, clock: SimpleNamespace) -> None:
    secret = secret_of(totp.start(user).uri)
    clock.advance(totp.PENDING_SECONDS + 1)
    assert totp.pending(reread(user)) is None
    assert not totp.confirm(reread(user), code_at(secret, clock.at))


def test_a_new_enrolment_does_not_replace_the_app_until_confirmed(
    enrolled: tuple[Any, str], clock: SimpleNamespace
) -> None:
    user, secret = enrolled
    totp.start(user)
    assert totp.verify(reread(user), code_at(secret, clock.at))  # the old app still works


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(-60, False), (-31, False), (-30, True), (-1, True), (0, True), (29, True), (30, True),
     (59, True), (60, False)],
)  # fmt: skip
def test_codes_are_accepted_one_step_either_side_and_no_further(
    enrolled: tuple[Any, str], clock: SimpleNamespace, offset: int, accepted: bool
) -> None:
    user, secret = enrolled  # clock.at is the first second of a step
    assert totp.verify(user, code_at(secret, clock.at + offset)) is accepted


def test_a_code_works_once_and_an_earlier_one_never_after_it(
    enrolled: tuple[Any, str], clock: SimpleNamespace
) -> None:
    user, secret = enrolled
    now, earlier = code_at(secret, clock.at), code_at(secret, clock.at - 30)
    assert totp.verify(reread(user), now)
    assert not totp.verify(reread(user), now)
    assert not totp.verify(reread(user), earlier)
    clock.advance(30)
    assert totp.verify(reread(user), code_at(secret, clock.at))


def test_a_code_raced_by_eight_requests_is_accepted_once(
    enrolled: tuple[Any, str], clock: SimpleNamespace
) -> None:
    user, secret = enrolled
    code = code_at(secret, clock.at)
    with atomic_moto_dynamodb():
        results = race([lambda: totp.verify(reread(user), code) for _ in range(8)])
    assert sorted(results) == [False] * 7 + [True]


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", " 123456"])
def test_malformed_codes_are_refused_without_asking_kms(
    enrolled: tuple[Any, str], typed: str, aws_calls: list[str]
) -> None:
    user, _ = enrolled
    assert not totp.verify(user, typed)
    assert not [call for call in aws_calls if call.startswith("kms:")]


def test_removing_the_app_forgets_its_key(
    enrolled: tuple[Any, str], clock: SimpleNamespace
) -> None:
    user, secret = enrolled
    totp.remove(user)
    record = reread(user)
    assert record.totp_secret is None and record.totp_last_step is None
    assert not totp.verify(record, code_at(secret, clock.at))


def test_a_person_deleted_meanwhile_is_not_written_back_as_a_fragment(user: Any) -> None:
    from chalicelib.errors import InvalidRequest
    from chalicelib.records import recovery_codes

    users.delete_user("alice")
    with pytest.raises(InvalidRequest):
        totp.start(user)
    with pytest.raises(InvalidRequest):
        recovery_codes.generate(user)
    assert users.get_user("alice") is None
