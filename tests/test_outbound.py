"""outbound.py: the SSRF rules for documents a stranger names (addresses, schemes, no
redirects, size, time, content type) and caching by the document's own headers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.documents import serving

NOT_PUBLIC = [
    "10.0.0.1", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1",
    "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1", "2002:a00:1::1", "ff02::1",
]  # fmt: skip
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_private_loopback_link_local_and_embedded_forms_are_not_public(address):
    from chalicelib.outbound import is_public

    assert not is_public(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_global_addresses_are_public(address):
    from chalicelib.outbound import is_public

    assert is_public(address)


@pytest.fixture
def local(settings_env: Any) -> None:
    from chalicelib import outbound

    settings_env(GATEHOUSE_STAGE="local", OUTBOUND_TIMEOUT_SECONDS="0.5")
    outbound.reset_cache()


REFUSED_URLS = [
    "http://example.com/client.json",  # not https
    "https://user:pw@example.com/c.json",  # userinfo
    "https://localhost/c.json",  # resolves to loopback
    "https://127.0.0.1/c.json",  # loopback literal, https or not, on a deployed stage
    "https:///c.json",
    "ftp://example.com/c.json",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_urls_a_deployed_stage_never_fetches(aws, url):
    from chalicelib import outbound

    outbound.reset_cache()
    with pytest.raises(outbound.FetchError):
        outbound.fetch_json(url, 5120)


def test_a_deployed_stage_refuses_a_loopback_server_the_local_stage_reaches(settings_env):
    from chalicelib import outbound

    with serving() as served:
        url = served.json("/client.json", {"a": 1})
        outbound.reset_cache()
        with pytest.raises(outbound.FetchError):
            outbound.fetch_json(url, 5120)
        assert served.hits == {}
        settings_env(GATEHOUSE_STAGE="local")
        outbound.reset_cache()  # the refusal above was cached, as failures are
        assert outbound.fetch_json(url, 5120) == {"a": 1}


def test_redirects_are_not_followed(local):
    from chalicelib import outbound

    with serving() as served:
        served.json("/target.json", {"a": 1})
        served.routes["/c.json"] = (302, {"Location": served.base + "/target.json"}, b"")
        with pytest.raises(outbound.FetchError, match="302"):
            outbound.fetch_json(served.base + "/c.json", 5120)
        assert "/target.json" not in served.hits


def test_size_content_type_shape_and_time_are_bounded(local):
    from chalicelib import outbound

    with serving() as served:
        big = served.json("/big.json", {"x": "y" * 6000})
        html = served.base + "/page"
        served.routes["/page"] = (200, {"Content-Type": "text/html"}, b"{}")
        array = served.json("/array.json", [1, 2])
        for url, why in ((big, "larger"), (html, "application/json"), (array, "object")):
            with pytest.raises(outbound.FetchError, match=why):
                outbound.fetch_json(url, 5120)
        slow = served.json("/slow.json", {"a": 1})
        served.delay = 1.5
        with pytest.raises(outbound.FetchError, match="failed"):
            outbound.fetch_json(slow, 5120)


def test_answers_are_cached_by_max_age_within_bounds_and_failures_briefly(local, settings_env):
    from chalicelib import outbound

    with serving() as served:
        url = served.json("/c.json", {"a": 1}, **{"Cache-Control": "public, max-age=600"})
        for _ in range(3):
            assert outbound.fetch_json(url, 5120) == {"a": 1}
        assert served.hits["/c.json"] == 1
        missing = served.base + "/missing.json"
        for _ in range(2):
            with pytest.raises(outbound.FetchError):
                outbound.fetch_json(missing, 5120)
        assert served.hits["/missing.json"] == 1
    assert outbound._ttl("max-age=999999999") == 86400
    assert outbound._ttl("no-store") == outbound._ttl("") == 60
