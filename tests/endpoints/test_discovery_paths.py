"""RFC 8414 §3.1: metadata at the path-inserted well-known URLs for an issuer with a path,
and only for ours."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("name", ["oauth-authorization-server", "openid-configuration"])
def test_an_issuer_with_a_path_is_served_at_the_path_inserted_location(http, settings_env, name):
    settings_env(ISSUER="https://auth.test/api")
    response = http.get(f"/.well-known/{name}/api")
    assert response.status_code == 200
    assert json.loads(response.body)["issuer"] == "https://auth.test/api"
    assert response.headers["Cache-Control"].startswith("public")


def test_another_issuer_path_is_404(http, settings_env):
    settings_env(ISSUER="https://auth.test/api")
    response = http.get("/.well-known/oauth-authorization-server/other")
    assert response.status_code == 404
    assert json.loads(response.body)["error"] == "not_found"


def test_an_issuer_without_a_path_has_no_path_inserted_document(http):
    assert http.get("/.well-known/oauth-authorization-server/api").status_code == 404
