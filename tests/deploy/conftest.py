"""The deploy rehearsal: infra/ in the emulator's CloudFormation, the packaged artifact in a
stand-in for the Lambda runtime, and the operator's CLI against both.

Everything here is marked `deploy`. One emulator (moto in server mode, its own process) and
one package serve the session. moto's CloudFormation makes every KMS key symmetric, so the
two signing keys infra/ declares are made again with boto3 as CloudFormation makes them in
AWS (same spec, same stage tag) and the stack's aliases pointed at them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from tests.deploy.runtime import REGION, STAGE, Artifact, Function, copy_runtime, start_function
from tests.helpers.forms import PASSWORD
from tests.helpers.oidc import REDIRECT
from tests.helpers.stack import ROOT, _stop, _wait_http, free_port

HERE = Path(__file__).resolve().parent
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
KEY_SPECS = {"rs256": "RSA_2048", "es256": "ECC_NIST_P256"}
STAGE_TAG = {"TagKey": "gatehouse:stage", "TagValue": STAGE}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.deploy)


@dataclass
class Emulator:
    endpoint_url: str
    env: dict[str, str]

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def admin(self, *args: str, stdin: str | None = None) -> Any:
        """The operator's admin CLI, for the dev stage, pointed at the emulator."""
        result = subprocess.run(
            [sys.executable, "-m", "chalicelib.admin", "--stage", STAGE, *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "GATEHOUSE_")) and k not in ("ISSUER", "TABLE_PREFIX")
    }
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ENDPOINT_URL=endpoint,
    )
    env.pop("KEY_ALIAS_PREFIX", None)
    try:
        _wait_http(endpoint + "/moto-api/")
        yield Emulator(endpoint, env)
    finally:
        _stop(server)


def template_for_moto() -> str:
    """infra/template.json without its KMS key tags, which moto's CloudFormation cannot
    pass to KMS (it hands over CloudFormation's Key/Value where KMS wants TagKey/TagValue);
    the keys are tagged with boto3 instead, below."""
    from infra.deploy import TEMPLATE

    template = json.loads(TEMPLATE.read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::KMS::Key":
            resource["Properties"].pop("Tags", None)
    return json.dumps(template)


@pytest.fixture(scope="session")
def infra_stack(emulator: Emulator) -> dict[str, Any]:
    """infra/ created as `make deploy` creates it, then the signing keys made asymmetric."""
    from infra.deploy import deploy_stack, stack_name

    cloudformation = emulator.client("cloudformation")
    dynamodb = emulator.client("dynamodb")
    status = deploy_stack(cloudformation, STAGE, {}, dynamodb, template_for_moto())
    resources = cloudformation.list_stack_resources(StackName=stack_name(STAGE))
    kms = emulator.client("kms")
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    kms.tag_resource(KeyId=aliases[f"alias/gatehouse-{STAGE}-envelope"], Tags=[STAGE_TAG])
    for alg, spec in KEY_SPECS.items():
        key = kms.create_key(
            KeyUsage="SIGN_VERIFY",
            KeySpec=spec,
            Tags=[STAGE_TAG],
        )["KeyMetadata"]
        kms.update_alias(AliasName=f"alias/gatehouse-{STAGE}-{alg}", TargetKeyId=key["KeyId"])
    return {"status": status, "resources": resources["StackResourceSummaries"]}


@pytest.fixture(scope="session")
def artifact(tmp_path_factory: pytest.TempPathFactory, emulator: Emulator) -> Artifact:
    """`make package STAGE=dev`, unzipped into a clean directory."""
    out = tmp_path_factory.mktemp("package")
    env = {**emulator.env}
    env.pop("AWS_ENDPOINT_URL")
    result = subprocess.run(
        ["make", "--no-print-directory", "package", f"STAGE={STAGE}", f"PACKAGE_DIR={out}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checked" in result.stdout
    task_root = tmp_path_factory.mktemp("task")
    with zipfile.ZipFile(out / "deployment.zip") as archive:
        archive.extractall(task_root)
    sam = json.loads((out / "sam.json").read_text())
    return Artifact(out / "deployment.zip", task_root, sam)


@pytest.fixture(scope="session")
def runtime_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_runtime(tmp_path_factory.mktemp("runtime"))


@pytest.fixture(scope="session")
def operator(emulator: Emulator, infra_stack: dict[str, Any]) -> SimpleNamespace:
    """What the README tells an operator to run after `make deploy`."""
    kms = emulator.client("kms")
    keys_before = {k["KeyId"] for k in kms.list_keys()["Keys"]}
    registered = emulator.admin("keys", "init")
    keys_after = {k["KeyId"] for k in kms.list_keys()["Keys"]}
    service = emulator.admin(
        "client",
        "create",
        "--name",
        "Rehearsal service",
        "--grant-type",
        "client_credentials",
        "--scope",
        "api:read",
    )
    web = emulator.admin(
        "client",
        "create",
        "--name",
        "Rehearsal web app",
        "--public",
        "--grant-type",
        "authorization_code",
        "--redirect-uri",
        REDIRECT,
        "--scope",
        "openid api:read",
    )
    tv = emulator.admin(
        "client",
        "create",
        "--name",
        "Rehearsal TV",
        "--public",
        "--grant-type",
        DEVICE_GRANT,
        "--scope",
        "openid api:read",
    )
    alice = emulator.admin(
        "user", "create", "--username", "alice", "--password-stdin", stdin=PASSWORD + "\n"
    )
    return SimpleNamespace(
        keys_before=keys_before,
        keys_after=keys_after,
        registered=registered,
        service=service,
        web=web,
        tv=tv,
        alice=alice,
    )


@pytest.fixture(scope="module")
def launch(
    artifact: Artifact,
    runtime_root: Path,
    emulator: Emulator,
    operator: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], Function]]:
    """Start a fresh container of the function whose handler ends with the suffix given
    (".app", ".rotate_keys"); every one started in the module is stopped at its end."""
    started: list[Function] = []

    def start(handler_suffix: str) -> Function:
        log = tmp_path_factory.mktemp("function") / "function.log"
        function = start_function(
            artifact, runtime_root, emulator.endpoint_url, handler_suffix, log
        )
        started.append(function)
        return function

    yield start
    for function in started:
        function.stop()


@pytest.fixture(scope="module")
def api(launch: Callable[[str], Function]) -> Function:
    """One warm container of the API handler for the module."""
    return launch(".app")


@pytest.fixture(scope="module")
def http(api: Function) -> Any:
    from tests.deploy.lambda_http import LambdaHttp

    return LambdaHttp(api)
