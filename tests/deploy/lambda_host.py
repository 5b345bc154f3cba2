"""A stand-in for the Lambda Python runtime, run as `python -I -S lambda_host.py TASK RUNTIME`.

It sees only the unzipped artifact (TASK, first on sys.path as /var/task is) and the
runtime's own packages (RUNTIME: boto3 and what it needs): no site-packages, no project
checkout. Each line on stdin is {"handler": "app.app", "event": {...}}; each answer, on the
original stdout, is {"response": ..., "error": ..., "calls": [...]}. Whatever the function
prints (its log lines) goes to stderr, where the test reads it. Imports are kept between
invocations, as in a warm container. Like CloudTrail, it records every AWS API call the
function makes (service, operation and the resources named), which the test holds to the
stage's IAM policy. It imports nothing from the project or the tests.
"""

import importlib
import json
import os
import sys
import uuid

task_root, runtime_root = sys.argv[1], sys.argv[2]
sys.path[:0] = [task_root, runtime_root]
os.chdir(task_root)
protocol = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
sys.stdout = sys.stderr

import botocore.client  # noqa: E402  (from the runtime or the zip, as in Lambda)

calls = []
_real_call = botocore.client.BaseClient._make_api_call
NAMED = ("TableName", "IndexName", "KeyId", "KeySpec", "KeyUsage", "Tags", "AliasName")


def _recording_call(self, operation, params):
    named = {k: params[k] for k in NAMED if k in params}
    if "TransactItems" in params:
        named["TransactItems"] = [
            {"kind": kind, "TableName": item[kind]["TableName"]}
            for item in params["TransactItems"]
            for kind in item
        ]
    calls.append(
        {
            "service": self.meta.service_model.service_name,
            "operation": operation,
            "params": named,
            "region": self.meta.region_name,
        }
    )
    return _real_call(self, operation, params)


botocore.client.BaseClient._make_api_call = _recording_call


class Context:
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "gatehouse-dev")
    memory_limit_in_mb = 1024
    invoked_function_arn = f"arn:aws:lambda:eu-west-1:123456789012:function:{function_name}"
    log_group_name = f"/aws/lambda/{function_name}"

    def __init__(self):
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self):
        return 10_000


for line in sys.stdin:
    request = json.loads(line)
    module_name, function_name = request["handler"].rsplit(".", 1)
    calls.clear()
    answer = {"response": None, "error": None}
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        answer["response"] = handler(request["event"], Context())
    except Exception as exc:  # the runtime reports a failed invocation, it does not die
        answer["error"] = f"{type(exc).__name__}: {exc}"
    sys.stderr.flush()
    answer["calls"] = list(calls)
    protocol.write(json.dumps(answer, default=str) + "\n")
    protocol.flush()
