"""A container's start (chalicelib/container.py): no garbage collection while the modules
import and the first event runs, then the start frozen and collection back on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import gc
import app
from tests.helpers.lambda_events import lambda_context, rest_event
assert not gc.isenabled(), "collecting while the modules import"
event = rest_event("GET", "/.well-known/openid-configuration")
assert app.app(event, lambda_context())["statusCode"] == 200
assert gc.isenabled(), "still not collecting after the first answer"
frozen = gc.get_freeze_count()
assert frozen > 10_000, frozen  # what the start made: modules, the first request's objects
assert app.app(event, lambda_context())["statusCode"] == 200
assert gc.get_freeze_count() <= frozen, "frozen again by a later request"
print("ok")
"""


def in_a_fresh_process(probe: str) -> None:
    """Run `probe` as a Lambda container starts: a new interpreter; discovery reads no table."""
    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_") or k in ("PATH", "HOME")}
    env["ISSUER"] = "https://issuer.test"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "ok"  # after the request log lines


def test_the_first_answer_freezes_the_start_and_turns_collection_back_on() -> None:
    in_a_fresh_process(PROBE)


OPENSSL_PROBE = """
import sys
import app
from chalicelib.models import aws_session
aws_session().create_client("dynamodb", region_name="us-east-1")
assert "OpenSSL" not in sys.modules, "botocore loaded pyOpenSSL for a DynamoDB client"
from webauthn.helpers import validate_certificate_chain  # passkeys still have it
assert "OpenSSL" in sys.modules
print("ok")
"""


def test_botocore_makes_its_clients_without_loading_pyopenssl() -> None:
    in_a_fresh_process(OPENSSL_PROBE)
