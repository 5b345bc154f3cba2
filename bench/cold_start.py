"""Cold start: the CPU a fresh interpreter spends importing app.py and serving its first
request, handed to it as Lambda hands it (an API Gateway REST proxy event to `app.app`),
beside a bare `import boto3` as the yardstick; alternated so all see the same machine.

The first request's AWS calls go to a moto server in another process (AWS_ENDPOINT_URL),
so the process measured spends only its own CPU, as a Lambda waits on DynamoDB and KMS over
the network: moto is never imported there. Beside them, botocore alone making the two
clients a first /token request needs (no app, no call, the garbage collector off as in our
own start: chalicelib/container.py): what any Python Lambda that talks to DynamoDB and KMS
spends before its first request, so how far a 1.3x target can be met at all.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

RUNS = 15
BASE_ENV = {
    "PATH": "",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "ISSUER": "https://bench.test",
    "TABLE_PREFIX": "gatehouse-cold-",
}
IMPORTS = {
    "bare import boto3": "import boto3",
    "botocore + DynamoDB and KMS clients, no app (collector off, as our start)": (
        "import gc; gc.disable(); import botocore.session; "
        "session = botocore.session.get_session(); "
        "session.create_client('dynamodb'); session.create_client('kms')"
    ),
    "app + /token modules": "import app; import chalicelib.endpoints.token",
    "app + /login modules": "import app; import chalicelib.endpoints.login",
}
# the event is read before the clock starts: Lambda's runtime parses it, not our code
SERVE = (
    "import json, sys; event = json.loads(sys.stdin.read()); from types import SimpleNamespace; "
    "context = SimpleNamespace(aws_request_id='cold', function_name='gatehouse', "
    "memory_limit_in_mb=1024, invoked_function_arn='arn:aws:lambda:us-east-1:1:function:g', "
    "get_remaining_time_in_millis=lambda: 10000); "
    "import time; t = time.process_time(); import app; response = app.app(event, context); "
    "assert response['statusCode'] == 200, response; "
)
PROBE = "import sys, time; t = time.process_time(); {code}; "
REPORT = "print(time.process_time() - t, len(sys.modules), file=sys.stderr)"
PREPARE = """
from chalicelib.emulator import provision
from chalicelib.records.registration import create_client
provision()
client, secret = create_client(name="cold", grant_types=["client_credentials"], scope="api:read")
print(client.client_id, secret)
"""


def _measure(code: str, env: dict[str, str], stdin: str = "") -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-c", code + REPORT],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stderr.split()
    return float(out[-2]), int(out[-1])


@contextmanager
def moto_server() -> Iterator[str]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per AWS call otherwise
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _token_event(client_id: str, secret: str) -> str:
    import base64

    from tests.helpers.lambda_events import rest_event

    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    form = {"grant_type": "client_credentials", "scope": "api:read"}
    event = rest_event("POST", "/token", form=form, headers={"Authorization": f"Basic {basic}"})
    return json.dumps(event)


def _stacks(endpoint: str, modes: tuple[str, ...]) -> dict[str, tuple[str, dict[str, str], str]]:
    """name -> (code, environment, stdin) of every snippet timed."""
    snippets = {name: (PROBE.format(code=c), BASE_ENV, "") for name, c in IMPORTS.items()}
    for mode in modes:
        env = {
            **BASE_ENV,
            "AWS_ENDPOINT_URL": endpoint,
            "SIGNING_MODE": mode,
            "TABLE_PREFIX": f"gatehouse-cold-{mode}-",
            "KEY_ALIAS_PREFIX": f"alias/gatehouse-cold-{mode}",
        }
        cwd_env = {**env, "PYTHONPATH": os.getcwd()}
        ids = subprocess.run(
            [sys.executable, "-c", PREPARE], capture_output=True, text=True, check=True, env=cwd_env
        ).stdout.split()
        snippets[f"app + first /token event ({mode})"] = (SERVE, env, _token_event(*ids[-2:]))
    return snippets


def run(runs: int = RUNS, modes: tuple[str, ...] = ("kms", "envelope")) -> dict[str, Any]:
    with moto_server() as endpoint:
        snippets = _stacks(endpoint, modes)
        samples: dict[str, list[tuple[float, int]]] = {name: [] for name in snippets}
        for _ in range(runs):
            for name, (code, env, stdin) in snippets.items():
                samples[name].append(_measure(code, env, stdin))
    return {
        name: {
            "median_cpu_ms": round(statistics.median(s[0] for s in runs_) * 1000, 1),
            "modules": runs_[0][1],
        }
        for name, runs_ in samples.items()
    }
