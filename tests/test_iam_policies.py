"""The Lambdas' IAM policies (.chalice/policy-*.json): least privilege, keys granted by tag.

An alias or tag change takes up to 5 minutes to reach IAM (DESIGN.md, Facts), so KMS keys
are granted by the stage tag they carry from creation, never by alias.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHALICE = ROOT / ".chalice"
DEPLOYED = ("dev", "prod")


def policy(name: str) -> list[dict]:
    return json.loads((CHALICE / name).read_text())["Statement"]


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def every_policy() -> list[str]:
    return sorted(p.name for p in CHALICE.glob("policy-*.json"))


@pytest.mark.parametrize("name", every_policy())
def test_no_action_wildcard_and_a_star_resource_only_for_a_conditioned_create_key(name):
    for statement in policy(name):
        assert not any("*" in action for action in as_list(statement["Action"])), statement
        if "*" in as_list(statement["Resource"]):
            assert as_list(statement["Action"]) == ["kms:CreateKey"], statement
            assert "aws:RequestTag/gatehouse:stage" in statement["Condition"]["StringEquals"]


@pytest.mark.parametrize("stage", DEPLOYED)
@pytest.mark.parametrize("prefix", ["policy", "policy-rotate"])
def test_kms_keys_are_granted_by_the_stage_tag_never_by_alias(prefix, stage):
    from chalicelib.signing.kms import STAGE_TAG

    statements = policy(f"{prefix}-{stage}.json")
    assert "alias" not in json.dumps(statements).lower()  # nor kms:ResourceAliases
    for statement in statements:
        actions = as_list(statement["Action"])
        if not any(a.startswith("kms:") for a in actions) or actions == ["kms:CreateKey"]:
            continue
        assert statement["Resource"] == "arn:aws:kms:*:*:key/*"
        tag = "aws:RequestTag" if actions == ["kms:TagResource"] else "aws:ResourceTag"
        assert statement["Condition"]["StringEquals"][f"{tag}/{STAGE_TAG}"] == stage


@pytest.mark.parametrize("stage", DEPLOYED)
def test_the_scheduled_rotation_has_its_own_policy(stage):
    config = json.loads((CHALICE / "config.json").read_text())["stages"][stage]
    rotate = config["lambda_functions"]["rotate_keys"]["iam_policy_file"]
    assert rotate == f"policy-rotate-{stage}.json" != config["iam_policy_file"]
    statements = policy(rotate)
    tables = [s["Resource"] for s in statements if as_list(s["Action"])[0].startswith("dynamodb:")]
    assert tables == [f"arn:aws:dynamodb:*:*:table/gatehouse-{stage}-signing-keys"]
    deletion = next(s for s in statements if "kms:ScheduleKeyDeletion" in s["Action"])
    # Only signing keys: the envelope key (ENCRYPT_DECRYPT) wraps every envelope-mode key.
    assert deletion["Condition"]["StringEquals"]["kms:KeyUsage"] == "SIGN_VERIFY"


def test_the_rotation_policy_grants_every_call_a_full_rotation_makes(aws, clock, aws_calls):
    from chalicelib.signing import rotation

    for step in (30, 1, 30, 1, 2):  # stage, activate, stage, activate, delete the retired
        clock.advance(step * 86400)
        rotation.tick()
    # IAM authorizes a TransactWriteItems by the actions of its items (UpdateItem here).
    made = {call for call in aws_calls if call != "dynamodb:TransactWriteItems"}
    granted = {a for s in policy("policy-rotate-dev.json") for a in as_list(s["Action"])}
    assert {"kms:CreateKey", "kms:ScheduleKeyDeletion"} <= made
    assert made <= granted
