"""outbound.py: the SSRF rules for documents a stranger names (addresses, schemes, no
redirects, size, one deadline, content type and coding), the connection pinned to the
address checked while TLS verifies the name, and caching by the document's own headers."""

from __future__ import annotations

import email.utils
import gzip
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.documents import certificate, serving

NOT_PUBLIC = [
    "10.0.0.1", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "255.255.255.255", "240.0.0.1", "198.18.0.1", "192.0.2.1",
    "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fec0::1", "ff02::1", "ff0e::1",
    "2001:db8::1", "3fff::1",  # documentation
    "::ffff:10.0.0.1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",  # IPv4-mapped
    "::127.0.0.1", "::10.0.0.1", "::8.8.8.8",  # IPv4-compatible (deprecated, ::/96)
    "::ffff:0:127.0.0.1",  # IPv4-translated (RFC 2765)
    "64:ff9b::a00:1", "64:ff9b::7f00:1", "64:ff9b:1::a00:1",  # NAT64, well-known and local
    "2002:a00:1::1", "2002:7f00:1::1",  # 6to4 of private and loopback addresses
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
]  # fmt: skip
PUBLIC = [
    "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808",
    "2002:808:808::1",
]  # fmt: skip


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
    "https://[::1]/c.json",
    "https://[::ffff:127.0.0.1]/c.json",
    "https://169.254.169.254/latest/meta-data/",
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


def test_size_content_type_coding_and_shape_are_bounded(local):
    from chalicelib import outbound

    with serving() as served:
        big = served.json("/big.json", {"x": "y" * 6000})
        html = served.base + "/page"
        served.routes["/page"] = (200, {"Content-Type": "text/html"}, b"{}")
        array = served.json("/array.json", [1, 2])
        packed = served.base + "/packed.json"
        bomb = gzip.compress(json.dumps({"x": "y" * 100_000}).encode())
        served.routes["/packed.json"] = (
            200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, bomb
        )  # fmt: skip
        cases = ((big, "larger"), (html, "application/json"), (array, "object"),
                 (packed, "content-encoded"))  # fmt: skip
        for url, why in cases:
            with pytest.raises(outbound.FetchError, match=why):
                outbound.fetch_json(url, 5120)


def test_a_server_that_does_not_answer_in_time_is_cut_off(local):
    from chalicelib import outbound

    with serving() as served:
        slow = served.json("/slow.json", {"a": 1})
        served.delay = 1.5
        started = time.monotonic()
        with pytest.raises(outbound.FetchError, match="too long"):
            outbound.fetch_json(slow, 5120)
        assert time.monotonic() - started < 1.4


def test_a_server_trickling_its_answer_is_cut_off_at_the_one_deadline(local):
    from chalicelib import outbound

    with serving() as served:
        # every byte comes well within a socket timeout; the whole answer would take 30 s
        url = served.json("/trickled.json", {"a": "b" * 200})
        served.trickle = 0.1
        started = time.monotonic()
        with pytest.raises(outbound.FetchError, match="too long"):
            outbound.fetch_json(url, 5120)
        assert time.monotonic() - started < 2.0


def test_the_local_stage_fetches_from_ipv6_loopback(local):
    from chalicelib import outbound

    with serving(host="::1") as served:
        url = served.json("/c.json", {"a": 1})
        assert url.startswith("http://[::1]:")
        assert outbound.fetch_json(url, 5120) == {"a": 1}
        assert served.hosts == [url.split("/")[2]]


@pytest.fixture
def trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A certificate for docs.example that this process trusts (and nothing else)."""
    from chalicelib import outbound

    cert = certificate(tmp_path, "docs.example")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))
    outbound._tls.cache_clear()
    yield cert
    outbound._tls.cache_clear()


def test_the_connection_goes_to_the_checked_address_and_tls_verifies_the_name(aws, trusted):
    """The address the name resolved to (and was checked) is the one connected to; the
    name is still the one sent (SNI, Host) and verified, so no second lookup happens."""
    from chalicelib import outbound

    with serving(tls=trusted) as served:
        served.json("/c.json", {"a": 1})
        port = served.base.rsplit(":", 1)[1]
        deadline = time.monotonic() + 2
        url = f"https://docs.example:{port}/c.json"
        # an address that refuses the connection is passed over for the next one
        status, _, body = outbound._get(url, ["127.0.0.2", "127.0.0.1"], 5120, deadline)
        assert (status, json.loads(body)) == (200, {"a": 1})
        assert served.hosts == [f"docs.example:{port}"]
        with pytest.raises(outbound.FetchError, match="SSLCertVerificationError"):
            outbound._get(f"https://other.example:{port}/c.json", ["127.0.0.1"], 5120, deadline)


def http_date(offset: float) -> str:
    return email.utils.formatdate(time.time() + offset, usegmt=True)


def test_answers_are_cached_by_max_age_else_expires_and_failures_briefly(local, settings_env):
    from chalicelib import outbound

    settings_env(OUTBOUND_CACHE_MIN_SECONDS="0")
    with serving() as served:
        kept = {
            "/max-age.json": {"Cache-Control": "public, max-age=600"},
            "/expires.json": {"Expires": http_date(600)},
            "/max-age-wins.json": {"Cache-Control": "max-age=600", "Expires": http_date(-60)},
        }
        gone = {
            "/stale.json": {"Expires": http_date(-60)},
            "/invalid.json": {"Expires": "0"},
            "/no-store.json": {"Cache-Control": "no-store", "Expires": http_date(600)},
            "/plain.json": {},
        }
        for path, headers in {**kept, **gone}.items():
            url = served.json(path, {"a": 1}, **headers)
            for _ in range(2):
                assert outbound.fetch_json(url, 5120) == {"a": 1}
        assert {path: served.hits[path] for path in kept} == dict.fromkeys(kept, 1)
        assert {path: served.hits[path] for path in gone} == dict.fromkeys(gone, 2)
        missing = served.base + "/missing.json"
        for _ in range(2):
            with pytest.raises(outbound.FetchError):
                outbound.fetch_json(missing, 5120)
        assert served.hits["/missing.json"] == 1


def test_cache_lifetimes_are_clamped_to_the_bounds(aws):
    from chalicelib import outbound

    assert outbound._ttl({"Cache-Control": "max-age=999999999"}) == 86400
    assert outbound._ttl({"Cache-Control": "no-store"}) == outbound._ttl({}) == 60
    date = http_date(0)
    assert outbound._ttl({"Date": date, "Expires": http_date(10**8)}) == 86400
    assert outbound._ttl({"Date": date, "Expires": http_date(600)}) in (599, 600, 601)
    assert outbound._ttl({"Expires": http_date(600)}) == 60  # no Date: not our clock


def test_the_cache_holds_at_most_its_size_in_urls(local, settings_env):
    from chalicelib import outbound

    settings_env(OUTBOUND_CACHE_SIZE="2")
    with serving() as served:
        urls = [served.json(f"/{n}.json", {"n": n}) for n in range(3)]
        for url in urls + urls[:1]:
            outbound.fetch_json(url, 5120)
        assert served.hits["/0.json"] == 2  # pushed out by /2.json, fetched again
        outbound.fetch_json(urls[2], 5120)
        assert served.hits["/2.json"] == 1
