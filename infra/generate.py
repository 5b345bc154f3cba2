"""Write infra/template.json (CloudFormation) from the pynamodb models.

`python -m infra.generate` after changing chalicelib/models.py; tests/test_infra.py fails
while the committed template and the models disagree, and runs cfn-lint on it.
The template holds the stateful resources: tables (TTL, point-in-time recovery), the two
KMS signing keys behind the stage's aliases and the envelope key. Every one of them, aliases
included, is retained on stack deletion or replacement, and every key carries the
`gatehouse:stage` tag by which IAM grants it (chalicelib/signing/kms.py, STAGE_TAG). From
alarms.py: the Lambda log groups (retention, retained too) and the alarms.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).with_name("template.json")
KEY_SPECS = {"Rs256": "RSA_2048", "Es256": "ECC_NIST_P256"}


def _logical_id(model: Any) -> str:
    return model.__name__.removesuffix("Model") + "Table"


def _table(model: Any, layout: dict[str, Any]) -> dict[str, Any]:
    suffix = model.Meta.table_name.removeprefix(os.environ["TABLE_PREFIX"])
    properties: dict[str, Any] = {
        "TableName": {"Fn::Sub": f"gatehouse-${{Stage}}-{suffix}"},
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": layout["key_schema"],
        "AttributeDefinitions": layout["attribute_definitions"],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    if layout["indexes"]:
        properties["GlobalSecondaryIndexes"] = [
            {**index, "Projection": {"ProjectionType": "ALL"}} for index in layout["indexes"]
        ]
    if layout["ttl"]:
        properties["TimeToLiveSpecification"] = {"AttributeName": layout["ttl"], "Enabled": True}
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def _retained(resource_type: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": resource_type,
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def _alias(name: str, key: str) -> dict[str, Any]:
    return _retained(
        "AWS::KMS::Alias",
        {
            "AliasName": {"Fn::Sub": f"alias/gatehouse-${{Stage}}-{name}"},
            "TargetKeyId": {"Ref": key},
        },
    )


def _signing_key(name: str, spec: str) -> dict[str, Any]:
    from chalicelib.signing.kms import STAGE_TAG

    account = {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    administers = {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": account,
        "Action": "kms:*",
        "Resource": "*",
    }
    return _retained(
        "AWS::KMS::Key",
        {
            "Description": {"Fn::Sub": f"Gatehouse ${{Stage}} {name.upper()} signing key"},
            "KeyUsage": "SIGN_VERIFY",
            "KeySpec": spec,
            # IAM grants the Lambdas these keys by this tag (never by alias; see kms.py).
            "Tags": [{"Key": STAGE_TAG, "Value": {"Ref": "Stage"}}],
            "KeyPolicy": {"Version": "2012-10-17", "Statement": [administers]},
        },
    )


def build() -> dict[str, Any]:
    from chalicelib.models import ALL_MODELS
    from chalicelib.tables import full_layout
    from infra import alarms

    resources: dict[str, Any] = {}
    for model in ALL_MODELS:
        resources[_logical_id(model)] = _table(model, full_layout(model))
    for name, spec in KEY_SPECS.items():
        resources[f"{name}SigningKey"] = _signing_key(name, spec)
        resources[f"{name}SigningKeyAlias"] = _alias(name.lower(), f"{name}SigningKey")
    # SIGNING_MODE=envelope wraps locally generated key pairs under this symmetric key.
    envelope = _signing_key("Envelope", "SYMMETRIC_DEFAULT")
    envelope["Properties"]["KeyUsage"] = "ENCRYPT_DECRYPT"
    envelope["Properties"]["Description"] = {
        "Fn::Sub": "Gatehouse ${Stage} envelope key for signing keys"
    }
    resources["EnvelopeKey"] = envelope
    resources["EnvelopeKeyAlias"] = _alias("envelope", "EnvelopeKey")
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Gatehouse stateful resources: DynamoDB tables, KMS signing keys, "
        "log groups and alarms",
        "Parameters": {
            "Stage": {"Type": "String", "AllowedValues": ["dev", "prod"], "Default": "dev"},
            **alarms.PARAMETERS,
        },
        "Conditions": alarms.CONDITIONS,
        "Resources": {**resources, **alarms.resources()},
        "Outputs": alarms.outputs(),
    }


def render() -> str:
    return json.dumps(build(), indent=2) + "\n"


def main() -> int:
    os.environ.setdefault("TABLE_PREFIX", "gatehouse-dev-")
    os.environ.setdefault("ISSUER", "https://unused.example")
    TEMPLATE.write_text(render())
    print(f"wrote {TEMPLATE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
