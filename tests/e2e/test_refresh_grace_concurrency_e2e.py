"""Races inside a grace window, against the emulator with real threads.

Racing refreshes all get the one successor. Revocations racing refreshes are tested here
too: inside a grace window a losing refresh does not revoke the family itself, so only
the revocations can, and the test shows that they always do, whichever commits first.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pytest

from tests.helpers.races import THREADS, App, delayed, login, make_app, race
from tests.helpers.stack import Stack, running_stack


@pytest.fixture(scope="module")
def grace_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory, REFRESH_GRACE_SECONDS="60") as running:
        yield running


@pytest.fixture(scope="module")
def app(grace_stack: Stack) -> App:
    return make_app(grace_stack)


def test_twenty_simultaneous_refreshes_inside_grace_window_share_one_successor(
    app: App,
) -> None:
    token = login(app)["refresh_token"]
    answers = race([partial(app.refresh, token)] * THREADS)
    assert [a.status_code for a in answers] == [200] * THREADS, [a.text for a in answers]
    successors = {a.json()["refresh_token"] for a in answers}
    assert len(successors) == 1
    successor = successors.pop()
    assert app.introspect(successor)["active"] is True
    # the successor rotates normally; the family stays whole
    assert app.refresh(successor).status_code == 200


# Revocations start this much after the refreshes: from "revoke first" to "rotation first".
REVOKE_DELAYS = (0.0, 0.05, 0.1, 0.2, 0.4, 0.8)


def test_simultaneous_revocations_and_refreshes_leave_no_live_token_in_the_family(
    app: App,
) -> None:
    rotations_before_revocation = 0
    for delay in REVOKE_DELAYS:
        issued = login(app)
        token = issued["refresh_token"]
        revoke = partial(delayed, partial(app.post, "/revoke", token=token), delay)
        calls = [revoke if i % 2 else partial(app.refresh, token) for i in range(THREADS)]
        answers = race(calls)
        assert {a.status_code for a in answers} <= {200, 400}, [a.text for a in answers]
        refreshed = [a.json() for a in answers if a.status_code == 200 and a.text]
        rotations_before_revocation += bool(refreshed)
        family = {token, *(r["refresh_token"] for r in refreshed)}
        for refresh_token in family:
            assert app.refresh(refresh_token).json()["error"] == "invalid_grant"
            assert app.introspect(refresh_token) == {"active": False}
        for access_token in [issued["access_token"], *(r["access_token"] for r in refreshed)]:
            assert app.introspect(access_token) == {"active": False}
    # the sweep must have hit the hard case: a successor issued, then its family revoked
    assert rotations_before_revocation > 0
