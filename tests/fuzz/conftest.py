"""The stack the fuzzer talks to: its own emulator and `chalice local` (helpers/stack.py).

Its own, not the e2e session's: the fuzzer's wrong passwords and codes fill the brute-force
counters of 127.0.0.1, which would lock the other e2e tests out. Every test here is marked
`e2e` (it starts subprocesses) and runs in `make test` with the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.helpers.signin import hidden_fields
from tests.helpers.stack import Stack, running_stack

HERE = Path(__file__).resolve().parent
USERNAME, PASSWORD = "fuzz-user", "fuzz-password-0123456789"
REDIRECT_URI = "http://127.0.0.1:9/cb"
SCOPE = "openid profile email offline_access api:read"
GRANTS = (
    "authorization_code", "client_credentials", "password", "refresh_token",
    "urn:ietf:params:oauth:grant-type:device_code",
)  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@dataclass(frozen=True)
class Target:
    """A running stack, a real client (Basic credentials), a person's session and token."""

    stack: Stack
    client_id: str
    client_secret: str
    access_token: str
    cookies: dict[str, str]


@pytest.fixture(scope="session")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with running_stack(tmp_path_factory) as stack:
        created = stack.admin(
            "client", "create", "--name", "Fuzz client", "--scope", SCOPE, "--can-introspect",
            "--redirect-uri", REDIRECT_URI,
            *(arg for grant in GRANTS for arg in ("--grant-type", grant)),
        )  # fmt: skip
        stack.admin("user", "create", "--username", USERNAME, "--password-stdin", stdin=PASSWORD)
        auth = (created["client_id"], created["client_secret"])
        token = requests.post(
            f"{stack.issuer}/token",
            data={"grant_type": "password", "username": USERNAME, "password": PASSWORD,
                  "scope": "openid profile email"},
            auth=auth, timeout=10,
        )  # fmt: skip
        token.raise_for_status()
        yield Target(stack, *auth, token.json()["access_token"], _signed_in(stack.issuer))


def _signed_in(issuer: str) -> dict[str, str]:
    """The cookies of a browser signed in as the fuzz user."""
    session = requests.Session()
    form = session.get(f"{issuer}/login", timeout=10)
    fields = {**hidden_fields(form.text), "username": USERNAME, "password": PASSWORD}
    signed_in = session.post(f"{issuer}/login", data=fields, allow_redirects=False, timeout=10)
    assert signed_in.status_code == 303, signed_in.text
    return session.cookies.get_dict()
