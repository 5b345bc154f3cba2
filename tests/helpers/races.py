"""Racing real threads against a running stack: a first-party app and a barrier start."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests

from tests.helpers.stack import Stack

THREADS = 20
PASSWORD = "correct horse battery"


@dataclass
class App:
    issuer: str
    client_id: str
    secret: str

    def post(self, path: str, **form: str) -> requests.Response:
        auth = (self.client_id, self.secret)
        return requests.post(f"{self.issuer}{path}", data=form, auth=auth, timeout=30)

    def refresh(self, token: str) -> requests.Response:
        return self.post("/token", grant_type="refresh_token", refresh_token=token)

    def introspect(self, token: str) -> dict[str, Any]:
        return self.post("/introspect", token=token).json()


def make_app(stack: Stack) -> App:
    """A user and a first-party client registered with the admin CLI, as an operator would."""
    racer = ["--username", "refresh-racer", "--password-stdin"]
    stack.admin("user", "create", *racer, stdin=PASSWORD + "\n")
    created = stack.admin(
        "client", "create", "--name", "Racing app", "--grant-type", "password",
        "--grant-type", "refresh_token", "--scope", "api:read offline_access",
        "--can-introspect",
    )  # fmt: skip
    return App(stack.issuer, created["client_id"], created["client_secret"])


def login(app: App) -> dict[str, Any]:
    response = app.post(
        "/token", grant_type="password", username="refresh-racer", password=PASSWORD,
        scope="api:read offline_access",
    )  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


def delayed(call: Callable[[], requests.Response], seconds: float) -> requests.Response:
    time.sleep(seconds)
    return call()


def race(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Run every call at once (a barrier releases them together); answers in call order."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        answers[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


@contextmanager
def atomic_moto_dynamodb() -> Iterator[None]:
    """Make each in-process moto DynamoDB request atomic, as each is in AWS.

    moto undoes a failed TransactWriteItems by restoring a copy of each table taken when the
    transaction began, so a transaction that loses a race erases whatever a concurrent
    request wrote meanwhile. Our code still races between its reads and its writes here.
    """
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.Lock()
    unlocked = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with lock:
            return unlocked(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoHandler.call_action = unlocked  # type: ignore[method-assign]
