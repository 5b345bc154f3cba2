"""`make deploy`'s steps, each against the emulator or a copy of the stage config.

`chalice deploy` itself cannot run here (moto's API Gateway cannot import Chalice's
Swagger); everything around it does.
"""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from infra import deploy
from tests.deploy.conftest import Emulator, template_for_moto
from tests.deploy.runtime import STAGE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    copy = tmp_path / "config.json"
    shutil.copyfile(ROOT / ".chalice" / "config.json", copy)
    return copy


def stage_env(config: Path, stage: str = STAGE) -> dict[str, str]:
    return json.loads(config.read_text())["stages"][stage]["environment_variables"]


def test_a_second_deploy_of_the_stack_changes_nothing(emulator: Emulator, infra_stack) -> None:
    cloudformation = emulator.client("cloudformation")
    before = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in infra_stack["resources"]}
    status = deploy.deploy_stack(cloudformation, STAGE, {}, None, template_for_moto())
    listed = cloudformation.list_stack_resources(StackName=deploy.stack_name(STAGE))
    after = {
        r["LogicalResourceId"]: r["PhysicalResourceId"] for r in listed["StackResourceSummaries"]
    }
    assert infra_stack["status"] == "CREATE_COMPLETE"
    assert status.endswith("_COMPLETE") and after == before


def test_a_deleted_stack_whose_tables_were_kept_is_not_created_over_them(emulator) -> None:
    dynamodb = emulator.client("dynamodb")
    dynamodb.create_table(
        TableName="gatehouse-prod-clients",
        KeySchema=[{"AttributeName": "client_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "client_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    cloudformation = emulator.client("cloudformation")
    with pytest.raises(SystemExit, match="IMPORT"):
        deploy.deploy_stack(cloudformation, "prod", {}, dynamodb)
    with pytest.raises(cloudformation.exceptions.ClientError):
        cloudformation.describe_stacks(StackName="gatehouse-prod")


def test_the_created_stack_keeps_everything_that_holds_state(emulator: Emulator, infra_stack):
    body = emulator.client("cloudformation").get_template(StackName=deploy.stack_name(STAGE))
    template = body["TemplateBody"]
    resources = (json.loads(template) if isinstance(template, str) else template)["Resources"]
    stateful = {"AWS::DynamoDB::Table", "AWS::KMS::Key", "AWS::KMS::Alias", "AWS::Logs::LogGroup"}
    held = [r for r in resources.values() if r["Type"] in stateful]
    assert {r["Type"] for r in held} == stateful
    assert all(r.get("DeletionPolicy") == "Retain" for r in held)


def test_the_template_fits_in_a_cloudformation_request() -> None:
    assert len(deploy.TEMPLATE.read_bytes()) < 51_200  # TemplateBody's limit, no S3 needed


def test_the_issuer_is_pinned_once_and_a_hand_set_one_is_kept(config: Path) -> None:
    url = "https://abc123.execute-api.eu-west-1.amazonaws.com/api/"
    assert stage_env(config)["ISSUER"] == ""
    assert deploy.pin_issuer(STAGE, url, config) is True
    assert stage_env(config)["ISSUER"] == url.rstrip("/")
    assert deploy.pin_issuer(STAGE, url, config) is False
    assert deploy.pin_issuer(STAGE, "https://other.example", config) is False
    assert stage_env(config)["ISSUER"] == url.rstrip("/")


def test_a_custom_domain_is_the_issuer_before_the_first_deploy() -> None:
    domain = {"domain_name": "auth.example.com", "certificate_arn": "arn:aws:acm:x"}
    assert deploy.custom_domain_issuer({"api_gateway_custom_domain": domain}) == (
        "https://auth.example.com"
    )
    mapped = {**domain, "url_prefix": "oauth"}
    assert deploy.custom_domain_issuer({"api_gateway_custom_domain": mapped}) == (
        "https://auth.example.com/oauth"
    )
    assert deploy.custom_domain_issuer({}) is None


def test_the_rest_api_is_read_from_chalices_deployed_record(tmp_path: Path) -> None:
    record = {
        "resources": [
            {"name": "api_handler", "resource_type": "lambda_function"},
            {
                "name": "rest_api",
                "resource_type": "rest_api",
                "rest_api_id": "abc123",
                "rest_api_url": "https://abc123.execute-api.eu-west-1.amazonaws.com/api/",
            },
        ]
    }
    (tmp_path / ".chalice" / "deployed").mkdir(parents=True)
    (tmp_path / ".chalice" / "deployed" / "dev.json").write_text(json.dumps(record))
    assert deploy.deployed_api("dev", tmp_path)["rest_api_id"] == "abc123"


def test_stage_throttling_applies_the_configured_limits(emulator: Emulator) -> None:
    apigateway = emulator.client("apigateway")
    api = apigateway.create_rest_api(name="gatehouse")["id"]
    root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
    apigateway.put_method(
        restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE"
    )
    apigateway.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    apigateway.create_deployment(restApiId=api, stageName="api")
    deploy.throttle(apigateway, api, "api", {"API_THROTTLE_RATE": "50"})
    settings = apigateway.get_stage(restApiId=api, stageName="api")["methodSettings"]["*/*"]
    assert settings["throttlingRateLimit"] == 50.0
    assert settings["throttlingBurstLimit"] == float(deploy.DEFAULT_THROTTLE["API_THROTTLE_BURST"])


class _Discovery(BaseHTTPRequestHandler):
    issuer = ""

    def do_GET(self) -> None:
        body = json.dumps({"issuer": self.issuer, "jwks_uri": self.issuer + "/jwks.json"})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize("named_right", [True, False])
def test_the_last_step_checks_the_live_issuer_names_itself(named_right: bool) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Discovery)
    issuer = f"http://127.0.0.1:{server.server_port}"
    _Discovery.issuer = issuer if named_right else "https://elsewhere.example"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        if named_right:
            assert deploy.check_discovery(issuer)["issuer"] == issuer
        else:
            with pytest.raises(SystemExit, match="names issuer"):
                deploy.check_discovery(issuer)
    finally:
        server.shutdown()
