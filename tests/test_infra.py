"""infra/ is held to the code: the template is what the models and observability.py generate,
and it lints; its alarms watch metrics the code emits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "infra" / "template.json"


def test_committed_template_matches_the_models():
    from infra.generate import render

    assert TEMPLATE.read_text() == render(), "run `python -m infra.generate` and commit"


def test_every_expiring_table_has_ttl_on_expires_at_in_the_template():
    from chalicelib.models import ALL_MODELS
    from chalicelib.tables import has_ttl

    resources = json.loads(TEMPLATE.read_text())["Resources"]
    for model in ALL_MODELS:
        table = resources[model.__name__.removesuffix("Model") + "Table"]["Properties"]
        ttl = table.get("TimeToLiveSpecification")
        assert (ttl == {"AttributeName": "expires_at", "Enabled": True}) == has_ttl(model)


def test_template_passes_cfn_lint():
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_provisioning_enables_ttl_on_every_expiring_table(aws):
    from chalicelib.models import ALL_MODELS
    from chalicelib.tables import has_ttl

    dynamodb = boto3.client("dynamodb")
    for model in ALL_MODELS:
        status = dynamodb.describe_time_to_live(TableName=model.Meta.table_name)
        enabled = status["TimeToLiveDescription"].get("TimeToLiveStatus") == "ENABLED"
        assert enabled == has_ttl(model), model.__name__


def test_every_table_key_and_alias_is_retained_and_every_key_carries_the_stage_tag():
    # Deleting or replacing the stack must not destroy a table or a key, nor leave a key
    # nameless; IAM grants the Lambdas a key by its stage tag (see .chalice/policy-*.json).
    from chalicelib.signing.kms import STAGE_TAG

    resources = json.loads(TEMPLATE.read_text())["Resources"]
    stateful = {"AWS::DynamoDB::Table", "AWS::KMS::Key", "AWS::KMS::Alias"}
    held = {name: r for name, r in resources.items() if r["Type"] in stateful}
    assert {r["Type"] for r in held.values()} == stateful
    for name, resource in held.items():
        assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain", name
    keys = [r for r in resources.values() if r["Type"] == "AWS::KMS::Key"]
    assert len(keys) == 3
    for key in keys:
        assert {"Key": STAGE_TAG, "Value": {"Ref": "Stage"}} in key["Properties"]["Tags"]


def _of_type(kind: str) -> dict[str, dict]:
    resources = json.loads(TEMPLATE.read_text())["Resources"]
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def _watched(alarm: dict) -> list[dict]:
    """The metrics an alarm reads: its own, or those of its metric-math queries."""
    properties = alarm["Properties"]
    if "MetricName" in properties:
        return [properties]
    return [q["MetricStat"]["Metric"] for q in properties["Metrics"] if "MetricStat" in q]


def test_alarms_watch_metrics_the_code_emits_with_the_stage_dimension():
    from chalicelib import observability

    ours = [
        metric
        for alarm in _of_type("AWS::CloudWatch::Alarm").values()
        for metric in _watched(alarm)
        if metric["Namespace"] == observability.NAMESPACE
    ]
    assert {m["MetricName"] for m in ours} == {
        observability.SERVICE_UNAVAILABLE,
        observability.KMS_THROTTLED,
        observability.REFRESH_REUSE_DETECTED,
    }
    assert {m["MetricName"] for m in ours} <= set(observability.METRICS)
    for metric in ours:  # the one dimension set the code emits these with
        assert metric["Dimensions"] == [
            {"Name": observability.STAGE_DIMENSION, "Value": {"Ref": "Stage"}}
        ]


def test_api_gateway_5xx_rate_alarm_watches_the_chalice_api_and_stage():
    alarm = _of_type("AWS::CloudWatch::Alarm")["Api5xxRateAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AWS/ApiGateway",
        "5XXError",
        "Average",
    )
    assert alarm["Dimensions"] == [
        {"Name": "ApiName", "Value": "gatehouse"},
        {"Name": "Stage", "Value": "api"},
    ]
    assert alarm["Threshold"] == {"Ref": "Api5xxRateThreshold"}


def test_every_alarm_notifies_the_topic_and_email_subscribes_only_when_set():
    for alarm in _of_type("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    (subscription,) = _of_type("AWS::SNS::Subscription").values()
    assert subscription["Condition"] == "HasAlarmEmail"


def test_lambda_log_groups_are_kept_with_the_retention_parameter():
    template = json.loads(TEMPLATE.read_text())
    groups = _of_type("AWS::Logs::LogGroup").values()
    assert {g["Properties"]["LogGroupName"]["Fn::Sub"] for g in groups} == {
        "/aws/lambda/gatehouse-${Stage}",
        "/aws/lambda/gatehouse-${Stage}-rotate_keys",
    }
    for group in groups:
        assert group["DeletionPolicy"] == "Retain"
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert template["Parameters"]["LogRetentionDays"]["Default"] == 30
