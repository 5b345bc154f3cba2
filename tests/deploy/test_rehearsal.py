"""The deploy rehearsal: the artifact `make package` builds serves every flow against the
stack infra/ creates, as API Gateway and Lambda would run it.

The operator's steps come first (`keys init`, a client, a user, through the admin CLI), then
one warm container of the packaged handler answers API Gateway REST proxy events. No ISSUER
is set, as on a first deployment: the issuer is the execute-api URL the events name. Every
token is verified against the JWKS that container serves, and every AWS call it made is
held to the stage's IAM policy at the end.
"""

from __future__ import annotations

import json
from typing import Any

from tests.deploy.conftest import DEVICE_GRANT, ROOT
from tests.deploy.lambda_http import ISSUER, LambdaHttp, verify
from tests.deploy.runtime import STAGE, Artifact, Function
from tests.helpers.browser import Browser, hidden_fields
from tests.helpers.forms import PASSWORD, basic, post_form
from tests.helpers.oidc import REDIRECT, answer, authorize, pkce_pair


def test_the_artifact_is_checked_and_fits_in_lambda(artifact: Artifact) -> None:
    from infra.package import problems

    assert problems(artifact.zip_path) == []
    unzipped = sum(p.stat().st_size for p in artifact.task_root.rglob("*") if p.is_file())
    assert artifact.zip_path.stat().st_size < 50 * 2**20 and unzipped < 250 * 2**20


def test_keys_init_registers_the_stack_keys_and_creates_none(emulator, operator) -> None:
    assert operator.keys_after == operator.keys_before
    kms = emulator.client("kms")
    for key in operator.registered:
        alias = f"alias/gatehouse-{STAGE}-{key['alg'].lower()}"
        target = kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"]
        assert key["kms_key_id"] == target and key["state"] == "active"


def test_discovery_names_the_execute_api_url_without_a_pinned_issuer(http: LambdaHttp) -> None:
    response = http.get("/.well-known/openid-configuration")
    metadata = json.loads(response.body)
    assert response.status_code == 200
    assert metadata["issuer"] == ISSUER
    assert metadata["jwks_uri"] == f"{ISSUER}/jwks.json"


def test_jwks_serves_the_registered_keys(http: LambdaHttp, operator: Any) -> None:
    served = {k["kid"] for k in json.loads(http.get("/jwks.json").body)["keys"]}
    assert served == {key["kid"] for key in operator.registered}


def test_client_credentials_token_verifies(http: LambdaHttp, api: Function, operator) -> None:
    service = operator.service
    api.new_logs()
    response = post_form(
        http,
        "/token",
        {"grant_type": "client_credentials"},
        basic(service["client_id"], service["client_secret"]),
    )
    assert response.status_code == 200, response.body
    claims = verify(http, json.loads(response.body)["access_token"], "urn:gatehouse:api")
    assert claims["client_id"] == service["client_id"] and claims["scope"] == "api:read"


def test_private_key_jwt_client_credentials_through_the_artifact(
    http: LambdaHttp, emulator: Any, tmp_path: Any
) -> None:
    """RFC 7523 in the packaged zip: PyJWT and cryptography verify the client's ES256
    assertion, and its jti is spent in the stage's table (the policy test sees the call)."""
    import time
    import uuid

    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    jwk = {**json.loads(jwt.get_algorithm_by_name("ES256").to_jwk(key.public_key())), "kid": "r1"}
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk]}))
    signed_by_key = ["--auth-method", "private_key_jwt", "--jwks-file", str(jwks)]
    client = emulator.admin("client", "create", "--name", "Rehearsal signed job",
                            "--grant-type", "client_credentials", "--scope", "api:read",
                            *signed_by_key)  # fmt: skip
    now = int(time.time())
    claims = {"iss": client["client_id"], "sub": client["client_id"], "aud": f"{ISSUER}/token",
              "exp": now + 60, "jti": str(uuid.uuid4())}  # fmt: skip
    signed = jwt.encode(claims, key, algorithm="ES256", headers={"kid": "r1"})
    bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    form = {"grant_type": "client_credentials", "client_assertion_type": bearer,
            "client_assertion": signed}  # fmt: skip
    response = post_form(http, "/token", form)
    assert response.status_code == 200, response.body
    assert post_form(http, "/token", form).status_code == 400  # the jti is spent


def test_registration_is_off_on_a_deployed_stage_until_configured(http: LambdaHttp) -> None:
    response = http.post("/register", body="{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 403
    assert json.loads(response.body)["error"] == "access_denied"


def test_each_request_leaves_one_json_line_and_its_metrics_in_the_log(http, api, operator):
    service = operator.service
    api.new_logs()
    form = {"grant_type": "client_credentials", "scope": "api:read"}
    post_form(http, "/token", form, basic(service["client_id"], service["client_secret"]))
    printed = [json.loads(line) for line in api.new_logs().splitlines() if line.startswith("{")]
    (line,) = [p for p in printed if p.get("message") == "request"]
    assert (line["route"], line["status"], line["outcome"]) == ("/token", 200, "ok")
    assert line["client_id"] == service["client_id"]
    assert line["grant_type"] == "client_credentials" and line["aws_calls"] >= 1
    (metrics,) = [p for p in printed if "_aws" in p]
    assert metrics["TokensIssued"] == [1.0] and metrics["stage"] == STAGE
    assert service["client_secret"] not in json.dumps(printed)


def test_code_flow_through_the_login_and_consent_pages(http: LambdaHttp, operator: Any) -> None:
    web, browser = operator.web, Browser(http, ISSUER)
    verifier, challenge = pkce_pair()
    response = authorize(
        browser,
        response_type="code",
        client_id=web["client_id"],
        redirect_uri=REDIRECT,
        scope="openid api:read",
        state="s-1",
        nonce="n-1",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    result = answer(response)
    assert result["state"] == "s-1" and result["iss"] == ISSUER
    form = {
        "grant_type": "authorization_code",
        "code": result["code"],
        "redirect_uri": REDIRECT,
        "client_id": web["client_id"],
        "code_verifier": verifier,
    }
    tokens = post_form(http, "/token", form)
    assert tokens.status_code == 200, tokens.body
    body = json.loads(tokens.body)
    id_claims = verify(http, body["id_token"], web["client_id"])
    assert id_claims["sub"] == operator.alice["sub"] and id_claims["nonce"] == "n-1"
    assert verify(http, body["access_token"], "urn:gatehouse:api")["sub"] == id_claims["sub"]


def test_device_flow_through_the_device_page(http: LambdaHttp, operator: Any) -> None:
    tv = operator.tv
    started = post_form(
        http, "/device_authorization", {"client_id": tv["client_id"], "scope": "openid api:read"}
    )
    flow = json.loads(started.body)
    assert flow["verification_uri"] == f"{ISSUER}/device"
    poll = {
        "grant_type": DEVICE_GRANT,
        "device_code": flow["device_code"],
        "client_id": tv["client_id"],
    }
    assert json.loads(post_form(http, "/token", poll).body)["error"] == "authorization_pending"
    browser = Browser(http, ISSUER)
    assert browser.login("alice", PASSWORD, return_to="/device").status_code == 303
    confirm = browser.submit(browser.get("/device"), user_code=flow["user_code"])
    assert 'name="decision"' in confirm.body.decode(), confirm.body
    assert hidden_fields(confirm.body.decode())
    done = browser.submit(confirm, decision="approve")
    assert done.status_code == 200, done.body
    tokens = post_form(http, "/token", poll)
    assert tokens.status_code == 200, tokens.body
    claims = verify(http, json.loads(tokens.body)["access_token"], "urn:gatehouse:api")
    assert claims["sub"] == operator.alice["sub"] and claims["client_id"] == tv["client_id"]


def test_second_factors_through_the_artifact(
    http: LambdaHttp, operator: Any, emulator: Any
) -> None:
    """An authenticator app (sealed by the stage's envelope key: kms:Encrypt, kms:Decrypt)
    and a passkey (py_webauthn in the bundle), enrolled and used through the packaged pages."""
    import time
    from urllib.parse import urlsplit

    from tests.helpers.authenticator import Authenticator
    from tests.helpers.mfa import code_at, enrol_totp

    emulator.admin("user", "create", "--username", "carol", "--password-stdin", stdin="pw carol\n")
    browser = Browser(http, ISSUER)
    assert browser.login("carol", "pw carol", return_to="/login").status_code == 303
    secret, codes = enrol_totp(browser, time.time())
    assert len(codes) == 10
    page = browser.get("/account/security")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(ISSUER))
    device = Authenticator(origin=origin)
    options = json.loads(page.body.decode().split("var options = ", 1)[1].split(";\n", 1)[0])
    fields = {"csrf_token": hidden_fields(page.body.decode())["csrf_token"]}
    added = browser.post(
        "/account/security",
        {**fields, "action": "passkey-register", "credential": device.create(options)},
    )
    assert added.status_code == 303, added.body
    again = Browser(http, ISSUER)
    asked = again.login("carol", "pw carol", return_to="/login")
    assert asked.status_code == 200 and b'name="otp"' in asked.body
    assert again.submit(asked, otp=code_at(secret, time.time() + 30)).status_code == 303
    view = emulator.admin("user", "show", "--username", "carol")
    assert view["mfa"]["authenticator_app"] and view["mfa"]["passkeys"] == 1


# Last in this module: it judges every AWS call the tests above made through the artifact.
def test_the_stage_policy_allows_every_call_the_artifact_made(api: Function, emulator) -> None:
    from tests.deploy import iam

    policy = json.loads((ROOT / ".chalice" / f"policy-{STAGE}.json").read_text())
    assert iam.wildcard_problems(policy) == []

    assert {c["service"] for c in api.calls} == {"dynamodb", "kms"}
    assert iam.denied(policy, api.calls, emulator.client("kms")) == set()
