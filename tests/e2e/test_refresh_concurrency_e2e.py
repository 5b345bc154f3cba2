"""Refresh-token races with real threads against `chalice local` and the emulator.

Lambda runs requests for one token side by side; only the rotation transaction may decide.
"""

from __future__ import annotations

from functools import partial

import pytest

from tests.helpers.races import THREADS, App, login, make_app, race
from tests.helpers.stack import Stack


@pytest.fixture(scope="module")
def app(stack: Stack) -> App:
    return make_app(stack)


def test_twenty_simultaneous_refreshes_of_one_token_give_exactly_one_success(app: App) -> None:
    token = login(app)["refresh_token"]
    answers = race([partial(app.refresh, token)] * THREADS)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [400] * (THREADS - 1), [a.text for a in answers]
    assert {a.json()["error"] for a in answers if a.status_code == 400} == {"invalid_grant"}
    # without a grace window the losers are reuse: the family, winner's successor included, dies
    winner = next(a.json() for a in answers if a.status_code == 200)
    assert app.refresh(winner["refresh_token"]).json()["error"] == "invalid_grant"
    assert app.introspect(winner["refresh_token"]) == {"active": False}
