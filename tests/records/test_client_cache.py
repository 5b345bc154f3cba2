"""The per-container client cache (records/clients.py) is bounded, and unknown ids cannot
push known clients out of it. Asserted through /token and the AWS calls it makes."""

from __future__ import annotations

from typing import Any

from tests.helpers.forms import basic, post_form

GRANT = {"grant_type": "client_credentials"}


def token(http: Any, client: Any, secret: str | None) -> Any:
    return post_form(http, "/token", GRANT, basic(client.client_id, secret or ""))


def reads(aws_calls: list[str]) -> int:
    return aws_calls.count("dynamodb:GetItem")


def test_client_cache_never_grows_past_its_bound_and_drops_the_least_recently_used(
    http, make_client, settings_env, aws_calls
):
    from chalicelib.records import clients

    settings_env(CLIENT_CACHE_SIZE="2")
    (a, a_secret), (b, b_secret), (c, c_secret) = (make_client() for _ in range(3))
    for client, secret in ((a, a_secret), (b, b_secret), (a, a_secret), (c, c_secret)):
        assert token(http, client, secret).status_code == 200
    aws_calls.clear()
    token(http, a, a_secret)  # used since b, so still cached
    assert reads(aws_calls) == 0
    token(http, b, b_secret)  # the least recently used, dropped for c
    assert reads(aws_calls) == 1
    assert len(clients._known) == 2


def test_flood_of_unknown_client_ids_does_not_evict_a_known_client(http, make_client, aws_calls):
    from chalicelib.records import clients

    client, secret = make_client()
    assert token(http, client, secret).status_code == 200
    for n in range(1100):  # more than the 1000 known clients the cache holds by default
        made_up = {"grant_type": "client_credentials", "client_id": f"made-up-{n}"}
        assert post_form(http, "/token", made_up).status_code == 400
    aws_calls.clear()
    assert token(http, client, secret).status_code == 200
    assert reads(aws_calls) == 0  # still served from the cache
    assert len(clients._unknown) == 100  # CLIENT_MISS_CACHE_SIZE


def test_a_repeated_unknown_client_id_is_read_once(http, aws_calls):
    made_up = {"grant_type": "client_credentials", "client_id": "made-up"}
    for _ in range(5):
        assert post_form(http, "/token", made_up).status_code == 400
    assert reads(aws_calls) == 1
