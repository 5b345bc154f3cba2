"""The observability resources of infra/template.json: log groups with retention, alarms.

Lambda creates a function's log group on first use and keeps it forever; declaring the
groups here sets their retention (`LogRetentionDays`) and keeps them when the stack goes
(Retain). Chalice names the API handler `gatehouse-<stage>` and a scheduled function
`gatehouse-<stage>-<name>`. The alarms watch what operators act on: API Gateway 5XX rate,
the rate of our 503s, any KMS throttling, and refresh-token reuse above a threshold. Our
metric names and dimension come from chalicelib/observability.py, which emits them, so the
two cannot drift apart. Alarms notify one SNS topic; `AlarmEmail` subscribes an address.
"""

from __future__ import annotations

from typing import Any

from chalicelib import observability

LOG_GROUPS = {
    "ApiHandlerLogGroup": "/aws/lambda/gatehouse-${Stage}",
    "RotateKeysLogGroup": "/aws/lambda/gatehouse-${Stage}-rotate_keys",
}
RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827]
API_GATEWAY = "AWS/ApiGateway"
API = [{"Name": "ApiName", "Value": "gatehouse"}, {"Name": "Stage", "Value": "api"}]
OURS = [{"Name": observability.STAGE_DIMENSION, "Value": {"Ref": "Stage"}}]
FIVE_MINUTES = 300

PARAMETERS: dict[str, Any] = {
    "LogRetentionDays": {"Type": "Number", "Default": 30, "AllowedValues": RETENTION_DAYS},
    "AlarmEmail": {
        "Type": "String",
        "Default": "",
        "Description": "Address the alarm topic mails (empty: no subscription)",
    },
    "Api5xxRateThreshold": {
        "Type": "Number",
        "Default": 0.05,
        "Description": "Alarm when this fraction of API requests answers 5XX over 5 minutes",
    },
    "ServiceUnavailableRateThreshold": {
        "Type": "Number",
        "Default": 0.01,
        "Description": "Alarm when this fraction of API requests answers 503 over 5 minutes",
    },
    "RefreshReuseThreshold": {
        "Type": "Number",
        "Default": 10,
        "Description": "Alarm when more rotated refresh tokens than this are reused in 5 minutes",
    },
}
CONDITIONS = {"HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}}


def resources() -> dict[str, Any]:
    found: dict[str, Any] = {name: _log_group(path) for name, path in LOG_GROUPS.items()}
    found["AlarmTopic"] = {
        "Type": "AWS::SNS::Topic",
        "Properties": {"TopicName": {"Fn::Sub": "gatehouse-${Stage}-alarms"}},
    }
    found["AlarmEmailSubscription"] = {
        "Type": "AWS::SNS::Subscription",
        "Condition": "HasAlarmEmail",
        "Properties": {
            "TopicArn": {"Ref": "AlarmTopic"},
            "Protocol": "email",
            "Endpoint": {"Ref": "AlarmEmail"},
        },
    }
    found["Api5xxRateAlarm"] = _alarm(
        "API Gateway answers 5XX to too many requests",
        _statistic(API_GATEWAY, "5XXError", API, "Average"),
        {"Ref": "Api5xxRateThreshold"},
    )
    found["ServiceUnavailableRateAlarm"] = _alarm(
        "Too many requests answer 503 (DynamoDB or KMS failing or throttling)",
        _service_unavailable_rate(),
        {"Ref": "ServiceUnavailableRateThreshold"},
    )
    found["KmsThrottledAlarm"] = _alarm(
        "KMS throttled a call (its request answered 503)",
        _statistic(observability.NAMESPACE, observability.KMS_THROTTLED, OURS, "Sum"),
        0,
    )
    found["RefreshReuseAlarm"] = _alarm(
        "Rotated refresh tokens are being reused (stolen tokens, or a client bug)",
        _statistic(observability.NAMESPACE, observability.REFRESH_REUSE_DETECTED, OURS, "Sum"),
        {"Ref": "RefreshReuseThreshold"},
    )
    return found


def outputs() -> dict[str, Any]:
    return {"AlarmTopicArn": {"Value": {"Ref": "AlarmTopic"}}}


def _log_group(path: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "LogGroupName": {"Fn::Sub": path},
            "RetentionInDays": {"Ref": "LogRetentionDays"},
        },
    }


def _statistic(
    namespace: str, metric: str, dimensions: list[dict[str, Any]], statistic: str
) -> dict[str, Any]:
    return {
        "Namespace": namespace,
        "MetricName": metric,
        "Dimensions": dimensions,
        "Statistic": statistic,
        "Period": FIVE_MINUTES,
    }


def _service_unavailable_rate() -> dict[str, Any]:
    """Our 503s over API Gateway's request count; a period without 503s has no datapoint: 0."""

    def query(name: str, namespace: str, metric: str, dimensions: list[Any]) -> dict[str, Any]:
        measured = {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions}
        stat = {"Metric": measured, "Period": FIVE_MINUTES, "Stat": "Sum"}
        return {"Id": name, "MetricStat": stat, "ReturnData": False}

    return {
        "Metrics": [
            query("unavailable", observability.NAMESPACE, observability.SERVICE_UNAVAILABLE, OURS),
            query("requests", API_GATEWAY, "Count", API),
            {"Id": "rate", "Expression": "FILL(unavailable, 0) / requests", "ReturnData": True},
        ]
    }


def _alarm(description: str, measured: dict[str, Any], threshold: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            **measured,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlarmTopic"}],
        },
    }
