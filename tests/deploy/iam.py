"""Just enough of IAM policy evaluation to hold recorded AWS calls to a stage's policy.

Allow statements only (our policies have no Deny). An action and a resource match by IAM's
wildcards; a condition operator or key this does not know fails closed, so the rehearsal
cannot pass by a policy feature nobody checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

ACCOUNT = "123456789012"  # moto's account
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)  # condition key -> value(s)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _condition_holds(operator: str, key: str, expected: Any, context: dict[str, Any]) -> bool:
    if key not in context:
        return False
    actual = _as_list(context[key])
    patterns = [str(p) for p in _as_list(expected)]
    if operator in ("StringEquals", "ForAllValues:StringEquals"):
        test = str.__eq__
    elif operator in ("StringLike", "ForAnyValue:StringLike", "ForAllValues:StringLike"):
        test = fnmatchcase
    else:
        return False
    each = all if operator.startswith("ForAllValues:") else any
    return bool(actual) and each(any(test(str(a), p) for p in patterns) for a in actual)


def _statement_allows(statement: dict[str, Any], request: Request) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    actions = _as_list(statement.get("Action", []))
    if not any(fnmatchcase(request.action.lower(), a.lower()) for a in actions):
        return False
    if not any(fnmatchcase(request.resource, r) for r in _as_list(statement.get("Resource", []))):
        return False
    for operator, pairs in (statement.get("Condition") or {}).items():
        for key, expected in pairs.items():
            if not _condition_holds(operator, key, expected, request.context):
                return False
    return True


def allows(policy: dict[str, Any], request: Request) -> bool:
    return any(_statement_allows(s, request) for s in _as_list(policy["Statement"]))


def wildcard_problems(policy: dict[str, Any]) -> list[str]:
    """Statements that allow any action, or any resource without a condition binding it."""
    found = []
    for statement in _as_list(policy["Statement"]):
        sid = statement.get("Sid", "?")
        if any("*" in a for a in _as_list(statement.get("Action", []))):
            found.append(f"{sid}: an action with *")
        if "*" in _as_list(statement.get("Resource", [])) and not statement.get("Condition"):
            found.append(f"{sid}: Resource * with no condition")
    return found


def requests_of(call: dict[str, Any], kms_facts: Any) -> list[Request]:
    """The IAM requests one recorded call makes; `kms_facts(key_id)` -> (arn, tags)."""
    service, operation, params = call["service"], call["operation"], call["params"]
    region = call["region"]
    if service == "dynamodb":
        table = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/"
        if "TransactItems" in params:
            return [
                Request(f"dynamodb:{TRANSACT_ACTIONS[i['kind']]}", table + i["TableName"])
                for i in params["TransactItems"]
            ]
        resource = table + params["TableName"]
        if "IndexName" in params:
            resource += "/index/" + params["IndexName"]
        return [Request(f"dynamodb:{operation}", resource)]
    if service == "kms":
        context: dict[str, Any] = {}
        for tag in params.get("Tags", []):
            context[f"aws:RequestTag/{tag['TagKey']}"] = tag["TagValue"]
        if params.get("Tags"):
            context["aws:TagKeys"] = [t["TagKey"] for t in params["Tags"]]
        for name in ("KeySpec", "KeyUsage"):
            if name in params:
                context[f"kms:{name}"] = params[name]
        if "KeyId" not in params:  # CreateKey names no key. Tags given at creation need
            requests = [Request(f"kms:{operation}", "*", context)]  # kms:TagResource on
            if params.get("Tags"):  # every key of the account and region (AWS KMS guide)
                every_key = f"arn:aws:kms:{region}:{ACCOUNT}:key/*"
                requests.append(Request("kms:TagResource", every_key, context))
            return requests
        arn, tags = kms_facts(params["KeyId"])
        context.update({f"aws:ResourceTag/{k}": v for k, v in tags.items()})
        return [Request(f"kms:{operation}", arn, context)]
    return [Request(f"{service}:{operation}", "*")]


def kms_facts(kms: Any) -> Any:
    """key id or alias -> (key ARN, its tags), read from KMS, for `requests_of`."""

    def facts(key_id: str) -> tuple[str, dict[str, str]]:
        arn = _arn(kms, key_id)
        tags = kms.list_resource_tags(KeyId=arn).get("Tags", [])
        return arn, {t["TagKey"]: t["TagValue"] for t in tags}

    return facts


def _arn(kms: Any, key_id: str) -> str:
    """The key ARN behind an ARN, alias or id. Not by DescribeKey where avoidable: moto's
    server fails it (500) for a key its CloudFormation made with a KeyPolicy (the envelope
    key), parsing the policy it stored as a dict."""
    if key_id.startswith("arn:") and ":key/" in key_id:
        return key_id
    alias = key_id.split(":", 5)[-1] if key_id.startswith("arn:") else key_id
    if alias.startswith("alias/"):
        for entry in kms.list_aliases()["Aliases"]:
            if entry["AliasName"] == alias and "TargetKeyId" in entry:
                region = kms.meta.region_name
                return f"arn:aws:kms:{region}:{ACCOUNT}:key/{entry['TargetKeyId']}"
    return kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]


def denied(policy: dict[str, Any], calls: list[dict[str, Any]], kms: Any) -> set[tuple[str, str]]:
    """(action, resource) of every request the recorded `calls` made that `policy` denies."""
    facts = kms_facts(kms)
    return {
        (request.action, request.resource)
        for call in calls
        for request in requests_of(call, facts)
        if not allows(policy, request)
    }
