"""The rotation transaction decides races that slip past the first read.

Each test interleaves two requests by hand at the point where threads would race: both
have read the token as unused, then both try to rotate it.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import InvalidGrant
from chalicelib.records import clients
from chalicelib.tokens import refresh_families, refresh_tokens
from tests.helpers.tokens import App, offline_tokens


def test_second_of_two_racing_rotations_loses_and_revokes_the_family(
    http: Any, user: Any, app: App
) -> None:
    token = offline_tokens(http, app)["refresh_token"]
    client = clients.get_client(app.client_id)
    first, second = refresh_tokens.load(token, client), refresh_tokens.load(token, client)
    successor = refresh_tokens.rotate(first, token)
    with pytest.raises(InvalidGrant):
        refresh_tokens.rotate(second, token)
    assert not refresh_families.is_live(first.family_id)
    assert refresh_tokens.describe(successor, client) is None


def test_racing_rotation_inside_grace_window_gets_the_same_successor(
    http: Any, user: Any, app: App, settings_env: Any
) -> None:
    settings_env(REFRESH_GRACE_SECONDS="30")
    token = offline_tokens(http, app)["refresh_token"]
    client = clients.get_client(app.client_id)
    first, second = refresh_tokens.load(token, client), refresh_tokens.load(token, client)
    assert refresh_tokens.rotate(first, token) == refresh_tokens.rotate(second, token)
    assert refresh_families.is_live(first.family_id)


def test_rotation_racing_a_revocation_fails_and_writes_no_successor(
    http: Any, user: Any, app: App
) -> None:
    from chalicelib.models import RefreshTokenModel

    token = offline_tokens(http, app)["refresh_token"]
    client = clients.get_client(app.client_id)
    record = refresh_tokens.load(token, client)
    refresh_families.revoke(record.family_id)
    with pytest.raises(InvalidGrant):
        refresh_tokens.rotate(record, token)
    family = list(RefreshTokenModel.scan(RefreshTokenModel.family_id == record.family_id))
    assert [r.used_at for r in family] == [None]


def test_a_person_disabled_after_the_token_was_read_fails_the_rotation_and_ends_the_family(
    http: Any, user: Any, app: App
) -> None:
    """The rotation's transaction checks the person (users.may_act_condition): nothing is
    read before it, so a disabling that lands between the read and the write still counts."""
    from chalicelib.records import users

    token = offline_tokens(http, app)["refresh_token"]
    client = clients.get_client(app.client_id)
    record = refresh_tokens.load(token, client)
    users.set_disabled("alice")
    with pytest.raises(InvalidGrant):
        refresh_tokens.rotate(record, token)
    assert not refresh_families.is_live(record.family_id)
    users.set_disabled("alice", False)
    with pytest.raises(InvalidGrant):  # re-enabling the person does not revive the family
        refresh_tokens.rotate(refresh_tokens.load(token, client), token)
