"""`make deploy STAGE=dev`: the infra/ stack, then the app, then the issuer pinned; idempotent.

Credentials and region are boto3's (and so the AWS CLI's): environment, then `AWS_PROFILE`
and its config. Steps, each safe to repeat:
1. Create or update the CloudFormation stack `gatehouse-STAGE` from infra/template.json
   (tables, KMS keys and aliases tagged for the stage, log groups, alarms).
2. With a custom domain (`api_gateway_custom_domain` in the stage's config) the issuer is
   known before anything is deployed: pin `ISSUER` to it first.
3. `make package`'s build and check (a fresh zip, refused without cryptography's Linux
   binding or a runtime dependency), then `chalice deploy --stage STAGE`, which deploys
   that very zip: the build leaves it in Chalice's cache, keyed by the code's hash.
4. Without a custom domain, pin `ISSUER` to the REST API's URL and deploy again (only the
   Lambda's environment changes). Until then the Lambda derives the same URL from API
   Gateway's request context (chalicelib/stage_issuer.py), so no request ever gets a 500.
   An `ISSUER` already set by hand is kept.
5. API Gateway stage throttling from `API_THROTTLE_RATE`/`API_THROTTLE_BURST`.
6. `keys init`: register the keys behind the stack's aliases (no key is created).
7. Fetch the discovery document from the issuer and check it names itself.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from infra import package

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "infra" / "template.json"
CONFIG = ROOT / ".chalice" / "config.json"
DEFAULT_THROTTLE = {"API_THROTTLE_RATE": "500", "API_THROTTLE_BURST": "1000"}


def stack_name(stage: str) -> str:
    return f"gatehouse-{stage}"


RETAINED_AFTER_DELETE = """error: the stack {stack} does not exist, but table {table} does: it
was kept when the stack was deleted (every table, key, alias and log group is retained).
CloudFormation cannot create what exists; bring the retained resources back into a new
stack with a change set of type IMPORT (README, "Tearing down"), then run make deploy again."""


def deploy_stack(
    cloudformation: Any,
    stage: str,
    parameters: dict[str, str],
    dynamodb: Any = None,
    template_body: str | None = None,
) -> str:
    """Create or update the stack; its final status. No change is not an error."""
    name = stack_name(stage)
    arguments = {
        "StackName": name,
        "TemplateBody": template_body or TEMPLATE.read_text(),
        "Parameters": [
            {"ParameterKey": k, "ParameterValue": v}
            for k, v in {"Stage": stage, **parameters}.items()
        ],
    }
    try:
        cloudformation.describe_stacks(StackName=name)
        exists = True
    except cloudformation.exceptions.ClientError:
        exists = False
    if not exists:
        _refuse_over_retained(dynamodb, stage)
        cloudformation.create_stack(**arguments)
        cloudformation.get_waiter("stack_create_complete").wait(StackName=name)
    else:
        try:
            cloudformation.update_stack(**arguments)
        except cloudformation.exceptions.ClientError as err:
            if "No updates are to be performed" not in str(err):
                raise
        else:
            cloudformation.get_waiter("stack_update_complete").wait(StackName=name)
    return cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]


def _refuse_over_retained(dynamodb: Any, stage: str) -> None:
    if dynamodb is None:
        return
    table = f"gatehouse-{stage}-clients"
    try:
        dynamodb.describe_table(TableName=table)
    except dynamodb.exceptions.ResourceNotFoundException:
        return
    raise SystemExit(RETAINED_AFTER_DELETE.format(stack=stack_name(stage), table=table))


def stage_config(stage: str, config_path: Path = CONFIG) -> dict[str, Any]:
    stages = json.loads(config_path.read_text())["stages"]
    if stage not in stages:
        raise SystemExit(f"error: no stage {stage!r} in {config_path}")
    return stages[stage]


def custom_domain_issuer(stage: dict[str, Any]) -> str | None:
    domain = stage.get("api_gateway_custom_domain")
    if not domain:
        return None
    prefix = domain.get("url_prefix", "").strip("/")
    return f"https://{domain['domain_name']}" + (f"/{prefix}" if prefix else "")


def deployed_api(stage: str, root: Path = ROOT) -> dict[str, str]:
    """The REST API Chalice recorded for the stage: rest_api_id and rest_api_url."""
    deployed = json.loads((root / ".chalice" / "deployed" / f"{stage}.json").read_text())
    return next(r for r in deployed["resources"] if r["resource_type"] == "rest_api")


def pin_issuer(stage: str, issuer: str, config_path: Path = CONFIG) -> bool:
    """Set the stage's ISSUER if it is empty; True if the config changed."""
    config = json.loads(config_path.read_text())
    env = config["stages"][stage].setdefault("environment_variables", {})
    current = env.get("ISSUER", "")
    if current:
        if current != issuer:
            print(f"deploy: keeping ISSUER={current} (set by hand; the API is at {issuer})")
        return False
    env["ISSUER"] = issuer.rstrip("/")
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    print(f"deploy: pinned ISSUER={env['ISSUER']} in {config_path.name}")
    return True


def throttle(apigateway: Any, rest_api_id: str, api_stage: str, env: dict[str, str]) -> None:
    """Stage-wide rate (requests/s) and burst limits for every method."""
    limits = {**DEFAULT_THROTTLE, **{k: v for k, v in env.items() if k in DEFAULT_THROTTLE}}
    apigateway.update_stage(
        restApiId=rest_api_id,
        stageName=api_stage,
        patchOperations=[
            {
                "op": "replace",
                "path": "/*/*/throttling/rateLimit",
                "value": limits["API_THROTTLE_RATE"],
            },
            {
                "op": "replace",
                "path": "/*/*/throttling/burstLimit",
                "value": limits["API_THROTTLE_BURST"],
            },
        ],
    )


def check_discovery(issuer: str, attempts: int = 10) -> dict[str, Any]:
    """The live discovery document; it must name `issuer`."""
    url = f"{issuer}/.well-known/openid-configuration"
    if not url.startswith(("https://", "http://127.0.0.1")):
        raise SystemExit(f"error: the issuer must be an https URL, not {issuer!r}")
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (checked)
                metadata = json.loads(response.read())
            break
        except OSError:
            if attempt == attempts - 1:
                raise
            time.sleep(3)
    if metadata.get("issuer") != issuer:
        raise SystemExit(f"error: {url} names issuer {metadata.get('issuer')!r}")
    return metadata


def _run(*command: str) -> None:
    print("deploy: $", " ".join(command), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(prog="python -m infra.deploy")
    parser.add_argument("--stage", required=True)
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an infra/ template parameter (AlarmEmail=..., LogRetentionDays=...)",
    )
    args = parser.parse_args(argv)
    session = boto3.Session()
    if not session.region_name:
        raise SystemExit("error: no region: set AWS_REGION or the profile's region")
    print(f"deploy: stage {args.stage} in {session.region_name}", flush=True)
    parameters = dict(p.split("=", 1) for p in args.parameter)
    cloudformation, dynamodb = session.client("cloudformation"), session.client("dynamodb")
    status = deploy_stack(cloudformation, args.stage, parameters, dynamodb)
    print(f"deploy: stack {stack_name(args.stage)}: {status}", flush=True)
    found = package.problems(package.build(args.stage, ROOT / "dist" / args.stage))
    if found:
        raise SystemExit("error: the artifact would fail in Lambda: " + "; ".join(found))
    chalice = str(Path(sys.executable).with_name("chalice"))
    planned = custom_domain_issuer(stage_config(args.stage))
    if planned:
        pin_issuer(args.stage, planned)
    _run(chalice, "deploy", "--stage", args.stage)
    api = deployed_api(args.stage)
    if not planned and pin_issuer(args.stage, api["rest_api_url"]):
        _run(chalice, "deploy", "--stage", args.stage)
    stage = stage_config(args.stage)
    env = stage.get("environment_variables", {})
    throttle(
        session.client("apigateway"), api["rest_api_id"], stage.get("api_gateway_stage", "api"), env
    )
    _run(sys.executable, "-m", "chalicelib.admin", "--stage", args.stage, "keys", "init")
    metadata = check_discovery(env["ISSUER"])
    print(f"deploy: done. Issuer {metadata['issuer']}; JWKS {metadata['jwks_uri']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
