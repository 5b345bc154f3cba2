"""Scheduled rotation: stage when due, activate after the publish delay, delete after the
retire window; each step once, however often or however concurrently `tick` runs."""

from __future__ import annotations

import json

import boto3
import jwt
import pytest

from tests.helpers.races import atomic_moto_dynamodb, race

DAY = 86400
ROTATION_DUE = 30 * DAY  # KEY_ROTATION_DAYS
PUBLISHED = DAY  # KEY_PUBLISH_SECONDS
RETIRED = 2 * DAY  # KEY_RETIRE_SECONDS


def states(alg: str = "RS256") -> dict[str, str]:
    from chalicelib.models import SigningKeyModel

    return {r.kid: r.state for r in SigningKeyModel.scan(consistent_read=True) if r.alg == alg}


def records() -> dict[str, dict]:
    from chalicelib.models import SigningKeyModel

    return {r.kid: r.attribute_values for r in SigningKeyModel.scan(consistent_read=True)}


def summary(result: dict, alg: str = "RS256") -> dict:
    return next(entry for entry in result["keys"] if entry["alg"] == alg)


def key_state(kms_key_id: str) -> str:
    return boto3.client("kms").describe_key(KeyId=kms_key_id)["KeyMetadata"]["KeyState"]


def published() -> set[str]:
    from chalicelib.signing import keys

    keys.reset_cache()
    return {k["kid"] for k in keys.jwks()["keys"]}


def rotate_fully(clock) -> tuple[str, str]:
    """Given the provisioned active key, tick it through stage and activation: (old, new)."""
    from chalicelib.signing import keys, rotation

    old = keys.active_key("RS256").kid
    clock.advance(ROTATION_DUE)
    new = summary(rotation.tick())["staged"]
    clock.advance(PUBLISHED)
    assert summary(rotation.tick())["activated"] == new
    return old, new


def test_tick_stages_a_next_key_once_the_active_key_is_key_rotation_days_old(aws, clock):
    from chalicelib.signing import keys, rotation

    active = keys.active_key("RS256")  # provisioned when the session began, not at `clock`
    clock.at = float(active.activated_at or active.created_at)
    clock.advance(ROTATION_DUE - 60)
    assert summary(rotation.tick())["staged"] is None
    clock.advance(60)
    staged = summary(rotation.tick())["staged"]
    assert staged and states()[staged] == "next"
    assert staged in published()  # published before it ever signs


def test_staged_key_signs_only_after_the_publish_delay(aws, clock):
    from chalicelib.signing import jws, rotation

    clock.advance(ROTATION_DUE)
    staged = summary(rotation.tick())["staged"]
    clock.advance(PUBLISHED - 1)
    assert summary(rotation.tick())["activated"] is None
    assert jwt.get_unverified_header(jws.sign_jwt({}))["kid"] != staged
    clock.advance(1)
    result = summary(rotation.tick())
    assert result["activated"] == staged and result["staged"] is None
    assert jwt.get_unverified_header(jws.sign_jwt({}))["kid"] == staged


def test_publish_delay_is_never_shorter_than_the_jwks_and_key_set_caches(http, settings_env):
    from chalicelib.signing import keys, rotation

    cache_control = http.get("/jwks.json").headers["Cache-Control"]
    assert cache_control == f"public, max-age={keys.JWKS_MAX_AGE}"
    settings_env(KEY_PUBLISH_SECONDS="0", KEYS_CACHE_SECONDS="300")
    assert rotation.publish_delay() == keys.JWKS_MAX_AGE + 300


def test_retired_kms_key_is_scheduled_for_deletion_once_after_the_retire_window(
    aws, clock, aws_calls
):
    from chalicelib.models import SigningKeyModel
    from chalicelib.signing import rotation

    _, second = rotate_fully(clock)
    clock.advance(ROTATION_DUE)
    third = summary(rotation.tick())["staged"]
    clock.advance(PUBLISHED)
    assert summary(rotation.tick())["activated"] == third  # `second` retires now
    kms_key_id = SigningKeyModel.get(second).kms_key_id

    clock.advance(RETIRED - 1)
    assert summary(rotation.tick())["deleted"] == []
    assert second in published() and key_state(kms_key_id) == "Enabled"
    clock.advance(1)
    aws_calls.clear()
    assert summary(rotation.tick())["deleted"] == [second]
    assert aws_calls.count("kms:ScheduleKeyDeletion") == 2  # this key and its ES256 peer
    aws_calls.clear()
    assert summary(rotation.tick())["deleted"] == []
    assert "kms:ScheduleKeyDeletion" not in aws_calls
    assert key_state(kms_key_id) == "PendingDeletion"
    record = SigningKeyModel.get(second)
    assert record.state == "deleted" and record.deletion_scheduled_at == int(clock.at)
    assert second not in published()


def test_key_behind_the_alias_leaves_the_set_but_is_never_deleted_in_kms(aws, clock):
    # infra/ made that key and retains it; deleting it would drift the stack.
    from chalicelib.models import SigningKeyModel
    from chalicelib.signing import keys, rotation

    alias_target = boto3.client("kms").describe_key(KeyId=keys.alias_name("RS256"))
    first, _ = rotate_fully(clock)
    assert SigningKeyModel.get(first).kms_key_id == alias_target["KeyMetadata"]["Arn"]
    clock.advance(RETIRED)
    assert summary(rotation.tick())["deleted"] == [first]
    record = SigningKeyModel.get(first)
    assert record.state == "deleted" and record.deletion_scheduled_at is None
    assert key_state(record.kms_key_id) == "Enabled"
    assert first not in published()


def test_rotation_never_moves_the_alias(aws, clock):
    from chalicelib.signing import keys, rotation

    kms = boto3.client("kms")
    before = kms.describe_key(KeyId=keys.alias_name("RS256"))["KeyMetadata"]["Arn"]
    rotate_fully(clock)
    rotation.rotate("RS256")
    assert kms.describe_key(KeyId=keys.alias_name("RS256"))["KeyMetadata"]["Arn"] == before


def test_token_signed_before_rotation_verifies_through_jwks_until_its_key_leaves(http, aws, clock):
    from chalicelib.signing import jws, rotation

    token = jws.sign_jwt({"sub": "x"})
    old, new = rotate_fully(clock)
    for _ in range(2):  # just after activation, and just before the retire window ends
        jwks = json.loads(http.get("/jwks.json").body)
        jwk = next(k for k in jwks["keys"] if k["kid"] == jwt.get_unverified_header(token)["kid"])
        assert jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"]) == {"sub": "x"}
        clock.advance(RETIRED - 1)
    clock.advance(1)
    rotation.tick()
    assert old not in published() and new in published()


def test_a_second_tick_changes_nothing(aws, clock):
    from chalicelib.signing import rotation

    for step in (ROTATION_DUE, PUBLISHED, ROTATION_DUE, PUBLISHED, RETIRED):
        clock.advance(step)
        rotation.tick()
        before = records()
        again = rotation.tick()
        assert all(
            entry["staged"] is entry["activated"] is None and entry["deleted"] == []
            for entry in again["keys"]
        )
        assert records() == before


def test_concurrent_ticks_stage_exactly_one_key_and_promote_it_once(aws, clock):
    from chalicelib.signing import rotation

    clock.advance(ROTATION_DUE)
    with atomic_moto_dynamodb():
        staged = [summary(r)["staged"] for r in race([rotation.tick] * 4)]
    assert len([kid for kid in staged if kid]) == 1
    assert sorted(states().values()) == ["active", "next"]

    clock.advance(PUBLISHED)
    with atomic_moto_dynamodb():
        activated = [summary(r)["activated"] for r in race([rotation.tick] * 4)]
    assert [kid for kid in activated if kid] == [kid for kid in staged if kid]
    assert sorted(states().values()) == ["active", "retired"]


def test_a_crashed_stage_blocks_the_next_run_only_for_the_claim_window(aws, clock):
    # Given a run that claimed the right to stage, then died before saving its key
    from chalicelib.signing import keys, rotation, transitions

    clock.advance(ROTATION_DUE)
    assert transitions.claim_successor(keys.active_key("RS256"), int(clock.at))
    assert summary(rotation.tick())["staged"] is None
    clock.advance(transitions.CLAIM_SECONDS + 1)
    assert summary(rotation.tick())["staged"]


def test_manual_rotate_promotes_at_once_and_stages_the_next(aws):
    from chalicelib.signing import keys, rotation

    old = keys.active_key("RS256").kid
    first = rotation.rotate("RS256")
    second = rotation.rotate("RS256")
    assert set(first) == set(second) == {"alg", "activated", "staged"}
    assert second["activated"] == first["staged"]
    assert states()[old] == "retired" and states()[second["staged"]] == "next"


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_new_keys_carry_the_stage_tag(aws, alg):
    from chalicelib.models import SigningKeyModel
    from chalicelib.signing import rotation

    staged = rotation.rotate(alg)["staged"]
    tags = boto3.client("kms").list_resource_tags(KeyId=SigningKeyModel.get(staged).kms_key_id)
    assert tags["Tags"] == [{"TagKey": "gatehouse:stage", "TagValue": "test"}]


def test_keys_init_in_kms_mode_registers_the_aliased_keys_and_creates_none(aws):
    # A deployed stage: infra/ made the keys and their aliases; the table is empty.
    from chalicelib.admin import run as admin
    from chalicelib.models import SigningKeyModel
    from chalicelib.signing import keys

    kms = boto3.client("kms")
    for record in SigningKeyModel.scan():
        record.delete()
    before = kms.list_keys(Limit=1000)["Keys"]
    code, registered = admin(["--stage", "dev", "keys", "init"])  # env already set: stays "test"
    assert code == 0
    assert kms.list_keys(Limit=1000)["Keys"] == before
    aliased = {
        alg: kms.describe_key(KeyId=keys.alias_name(alg))["KeyMetadata"]["Arn"]
        for alg in keys.ALGORITHMS
    }
    assert {k["alg"]: k["kms_key_id"] for k in registered} == aliased
    assert {r.kms_key_id for r in SigningKeyModel.scan()} == set(aliased.values())
