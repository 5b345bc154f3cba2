"""The packaged rotate_keys function, on the schedule's events, against the stack's keys.

Time is moved the way a month passes: the key records' stamps are set back in the table
(the function runs in its own process, with the real clock). Each run is judged by what the
API containers then serve and by the rotate function's own IAM policy.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.deploy import iam
from tests.deploy.conftest import ROOT, Emulator
from tests.deploy.lambda_http import LambdaHttp, verify
from tests.deploy.runtime import STAGE, Function
from tests.helpers.forms import basic, post_form

DAY = 86400
TABLE = f"gatehouse-{STAGE}-signing-keys"


def scheduled_event() -> dict[str, Any]:
    """What EventBridge sends a Lambda target on a schedule."""
    return {
        "version": "0",
        "id": "5f3a1f3e-rehearsal",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": iam.ACCOUNT,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": "eu-west-1",
        "resources": [f"arn:aws:events:eu-west-1:{iam.ACCOUNT}:rule/gatehouse-{STAGE}-rotate"],
        "detail": {},
    }


@pytest.fixture(scope="module")
def rotate(launch: Callable[[str], Function]) -> Function:
    return launch(".rotate_keys")


def fresh_api(launch: Callable[[str], Function]) -> LambdaHttp:
    """A cold container: it reads the key set anew, as every container does within
    KEYS_CACHE_SECONDS."""
    return LambdaHttp(launch(".app"))


def set_back(emulator: Emulator, state: str, attribute: str, seconds: int) -> None:
    dynamodb = emulator.client("dynamodb")
    for item in dynamodb.scan(TableName=TABLE)["Items"]:
        if item["state"]["S"] == state:
            stamp = int(time.time()) - seconds
            dynamodb.update_item(
                TableName=TABLE,
                Key={"kid": item["kid"]},
                UpdateExpression="SET #a = :t",
                ExpressionAttributeNames={"#a": attribute},
                ExpressionAttributeValues={":t": {"N": str(stamp)}},
            )


def client_credentials_token(http: LambdaHttp, operator: Any) -> str:
    service = operator.service
    credentials = basic(service["client_id"], service["client_secret"])
    response = post_form(http, "/token", {"grant_type": "client_credentials"}, credentials)
    assert response.status_code == 200, response.body
    return json.loads(response.body)["access_token"]


def kid_of(token: str) -> str:
    import jwt

    return jwt.get_unverified_header(token)["kid"]


def test_a_month_of_schedule_stages_activates_and_never_denies_a_signature(
    rotate: Function, http: LambdaHttp, operator: Any, emulator: Emulator, launch
) -> None:
    before = client_credentials_token(http, operator)
    nothing_due = rotate.invoke(scheduled_event())
    assert all(k["staged"] is None and k["activated"] is None for k in nothing_due["keys"])

    set_back(emulator, "active", "activated_at", 31 * DAY)
    staged = {k["alg"]: k["staged"] for k in rotate.invoke(scheduled_event())["keys"]}
    assert all(staged.values()), staged
    assert '"event":"key_rotation"' in rotate.new_logs()
    published = fresh_api(launch)
    served = {k["kid"] for k in json.loads(published.get("/jwks.json").body)["keys"]}
    assert set(staged.values()) <= served
    assert kid_of(client_credentials_token(published, operator)) == kid_of(before)

    set_back(emulator, "next", "created_at", 2 * DAY)
    activated = {k["alg"]: k["activated"] for k in rotate.invoke(scheduled_event())["keys"]}
    assert activated == staged
    again = rotate.invoke(scheduled_event())
    assert all(k["staged"] is None and k["activated"] is None for k in again["keys"])

    signing_now = fresh_api(launch)
    after = client_credentials_token(signing_now, operator)
    assert kid_of(after) == staged["RS256"]
    for token in (before, after):  # the old key is retired, still published
        assert verify(signing_now, token, "urn:gatehouse:api")["iss"].endswith("/api")


def test_the_new_keys_carry_the_stage_tag_and_sign_by_it(rotate: Function, emulator) -> None:
    kms = emulator.client("kms")
    dynamodb = emulator.client("dynamodb")
    keys = [i for i in dynamodb.scan(TableName=TABLE)["Items"] if i["state"]["S"] == "active"]
    for item in keys:
        tags = kms.list_resource_tags(KeyId=item["kms_key_id"]["S"])["Tags"]
        assert {"TagKey": "gatehouse:stage", "TagValue": STAGE} in tags


def test_the_rotate_policy_allows_every_call_the_function_made(rotate: Function, emulator):
    policy = json.loads((ROOT / ".chalice" / f"policy-rotate-{STAGE}.json").read_text())
    assert iam.wildcard_problems(policy) == []

    operations = {c["operation"] for c in rotate.calls}
    assert {"CreateKey", "GetPublicKey", "Scan", "TransactWriteItems"} <= operations
    assert iam.denied(policy, rotate.calls, emulator.client("kms")) == set()
