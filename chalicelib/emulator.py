"""The local stack: moto in server mode, the tables and keys, demo data, `chalice local`.

`python -m chalicelib.emulator [--port 8000] [--emulator-port 4566] [--no-app]`
The app runs the same code paths as in AWS; only the endpoint URL differs. Ctrl-C
(SIGINT) or SIGTERM stops `chalice local` and the emulator together. A line starting
with `GATEHOUSE READY` (then JSON) tells scripts the stack is up.

moto's DynamoDB checks and applies a transaction item by item, and rolls a failed one
back by restoring a copy of whole tables, so concurrent requests can interleave inside a
transaction or undo each other's writes (measured: 2 of 40 bursts of 20 racing refreshes
both committed). DynamoDB itself serializes them, so the emulator runs DynamoDB requests
one at a time; the app still runs them from concurrent threads.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from typing import Any

from chalicelib.admin import PROJECT_DIR, apply_stage_env

LOCAL_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def provision() -> None:
    """Create every table from the models, the stage's envelope key (it also seals TOTP
    keys, signing/sealing.py) and an active signing key per algorithm."""
    from chalicelib.signing import envelope, keys, rotation
    from chalicelib.tables import create_tables

    create_tables()
    envelope.ensure_wrap_key()
    for alg in keys.ALGORITHMS:
        rotation.ensure_active(alg)


DEMO_REDIRECT_URI = "http://127.0.0.1:8765/callback"


def seed_demo() -> dict[str, Any]:
    import secrets

    from chalicelib import pkce
    from chalicelib.records import users
    from chalicelib.records.registration import create_client

    service, secret = create_client(
        name="Demo service",
        grant_types=["client_credentials"],
        scope="api:read api:write",
    )
    web, web_secret = create_client(
        name="Demo web app",
        grant_types=["authorization_code"],
        redirect_uris=[DEMO_REDIRECT_URI],
        scope="openid profile email api:read",
        require_pkce=True,
    )
    password = secrets.token_urlsafe(12)
    users.create_user("demo", password, "demo@example.com", "Demo User")
    verifier = secrets.token_urlsafe(48)
    return {
        "service": {"client_id": service.client_id, "client_secret": secret},
        "web": {
            "client_id": web.client_id,
            "client_secret": web_secret,
            "redirect_uri": DEMO_REDIRECT_URI,
            "code_verifier": verifier,
            "code_challenge": pkce.s256(verifier),
        },
        "user": {"username": "demo", "password": password},
    }


def authorize_url(issuer: str, web: dict[str, str]) -> str:
    from urllib.parse import urlencode

    query = {
        "response_type": "code",
        "client_id": web["client_id"],
        "redirect_uri": web["redirect_uri"],
        "scope": "openid profile email",
        "state": "demo-state",
        "nonce": "demo-nonce",
        "code_challenge": web["code_challenge"],
        "code_challenge_method": "S256",
    }
    return f"{issuer}/authorize?{urlencode(query)}"


def _banner(issuer: str, emulator: str, demo: dict[str, Any]) -> str:
    service, web, user = demo["service"], demo["web"], demo["user"]
    return "\n".join(
        [
            "Gatehouse local stack",
            f"  emulator   {emulator}",
            f"  issuer     {issuer}",
            f"  discovery  {issuer}/.well-known/openid-configuration",
            "  demo service client (client_credentials, scope 'api:read api:write')",
            f"    client_id      {service['client_id']}",
            f"    client_secret  {service['client_secret']}",
            "  try:",
            f"    curl -s -u '{service['client_id']}:{service['client_secret']}' \\",
            f"      -d grant_type=client_credentials {issuer}/token",
            "  demo user",
            f"    username       {user['username']}",
            f"    password       {user['password']}",
            "  demo web client (authorization_code + PKCE S256, scope 'openid profile email')",
            f"    client_id      {web['client_id']}",
            f"    client_secret  {web['client_secret']}",
            f"    redirect_uri   {web['redirect_uri']}",
            "    (nothing listens there: copy the code from the browser's address bar)",
            f"    code_verifier  {web['code_verifier']}",
            "  sign in: open this URL in a browser, sign in as the demo user and allow",
            f"    {authorize_url(issuer, web)}",
            "  then exchange the code within 60 seconds:",
            f"    curl -s -u '{web['client_id']}:{web['client_secret']}' \\",
            "      -d grant_type=authorization_code -d code=PASTE_CODE \\",
            f"      -d redirect_uri={web['redirect_uri']} \\",
            f"      -d code_verifier={web['code_verifier']} {issuer}/token",
            "",
        ]
    )


class SerializedDynamoDB:
    """WSGI middleware: one DynamoDB request at a time, as DynamoDB's isolation promises."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return self.app(environ, start_response)
        with self.lock:  # moto builds the whole response inside the call
            return self.app(environ, start_response)


def _start_emulator(port: int) -> tuple[Any, threading.Thread]:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    app = SerializedDynamoDB(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def _start_app(port: int) -> subprocess.Popen[bytes]:
    """`chalice local`, with a listen backlog for bursts (local_server.py)."""
    command = [
        sys.executable, "-m", "chalicelib.local_server", "local", "--stage", "local",
        "--no-autoreload", "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=PROJECT_DIR, env=os.environ.copy())


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.emulator")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    parser.add_argument(
        "--emulator-port", type=int, default=int(os.environ.get("EMULATOR_PORT", 4566))
    )
    parser.add_argument("--no-app", action="store_true", help="run only the emulator")
    parser.add_argument("--no-demo", action="store_true", help="seed no demo data")
    return parser.parse_args(argv)


def _local_environment(args: argparse.Namespace) -> None:
    """The `local` stage's settings, pointed at this stack's ports."""
    for name, value in LOCAL_AWS_ENV.items():
        os.environ.setdefault(name, value)
    os.environ["EMULATOR_PORT"] = str(args.emulator_port)
    os.environ["PORT"] = str(args.port)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    apply_stage_env("local")


def _announce(demo: dict[str, Any]) -> None:
    from chalicelib.config import get_settings

    settings = get_settings()
    if demo:
        print(_banner(settings.issuer, settings.endpoint_url or "", demo), flush=True)
    ready = {"issuer": settings.issuer, "endpoint_url": settings.endpoint_url, **demo}
    print("GATEHOUSE READY " + json.dumps(ready), flush=True)


def _stop_app(app: subprocess.Popen[bytes] | None) -> None:
    if app is None or app.poll() is not None:
        return
    app.terminate()
    try:
        app.wait(timeout=10)
    except subprocess.TimeoutExpired:
        app.kill()


def _stop_signal() -> threading.Event:
    """Set by Ctrl-C (SIGINT) or SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    _local_environment(args)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server, server_thread = _start_emulator(args.emulator_port)
    stop = _stop_signal()
    app = None
    try:
        provision()
        demo = {} if args.no_demo else seed_demo()
        app = None if args.no_app else _start_app(args.port)
        _announce(demo)
        while not stop.wait(0.5):
            if app is not None and app.poll() is not None:
                return app.returncode or 1
        return 0
    finally:
        _stop_app(app)
        server.shutdown()
        server_thread.join()


if __name__ == "__main__":
    sys.exit(main())
