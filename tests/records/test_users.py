"""The one rule of users.py, in its two forms: `may_act` on a record read, and
`may_act_condition` on the record as a write commits (the refresh rotation)."""

from __future__ import annotations

from typing import Any

import pytest


def condition_holds(username: str, sub: str) -> bool:
    from pynamodb.exceptions import TransactWriteError

    from chalicelib.models import UserModel, transact_write
    from chalicelib.records import users

    try:
        with transact_write() as tx:
            tx.condition_check(UserModel, username, condition=users.may_act_condition(sub))
    except TransactWriteError:
        return False
    return True


@pytest.mark.parametrize(
    "change", ["none", "disabled", "re-enabled", "disabled attribute absent", "deleted"]
)
def test_may_act_and_its_condition_agree(make_user: Any, change: str) -> None:
    from chalicelib.models import UserModel
    from chalicelib.records import users

    person = make_user()
    if change in ("disabled", "re-enabled"):
        users.set_disabled("alice")
    if change == "re-enabled":
        users.set_disabled("alice", False)
    if change == "disabled attribute absent":  # a record written before the flag existed
        person.update(actions=[UserModel.disabled.remove()])
    if change == "deleted":
        users.delete_user("alice")
    expected = users.may_act(users.get_user("alice"))
    assert expected is (change in ("none", "re-enabled", "disabled attribute absent"))
    assert condition_holds("alice", person.sub) is expected


def test_the_condition_also_requires_the_same_person(make_user: Any) -> None:
    """A username deleted and taken again by someone else is another person (another sub)."""
    from chalicelib.records import users

    before = make_user()
    users.delete_user("alice")
    after = make_user()
    assert condition_holds("alice", after.sub)
    assert not condition_holds("alice", before.sub)
