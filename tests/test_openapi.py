"""openapi.yaml is a valid OpenAPI 3.1 document and describes exactly the routes of app.py.

Routes and methods are read from `app.app.routes` and held to the document in both
directions; a route with CORS gets an OPTIONS operation (the preflight API Gateway answers),
a route without it none. The live answers are held to the document by tests/fuzz/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "openapi.yaml").read_text())


def app_operations() -> set[tuple[str, str]]:
    from app import app

    operations = set()
    for path, entries in app.routes.items():
        for method, entry in entries.items():
            operations.add((path, method.lower()))
            if entry.cors:
                operations.add((path, "options"))
    return operations


def documented_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_route_of_app_py_is_documented(document):
    missing = app_operations() - documented_operations(document)
    assert not missing, f"routes in app.py missing from openapi.yaml: {sorted(missing)}"


def test_every_documented_operation_is_a_route_of_app_py(document):
    extra = documented_operations(document) - app_operations()
    assert not extra, f"operations in openapi.yaml that app.py does not serve: {sorted(extra)}"


def test_every_route_that_reads_a_form_documents_a_form_body(document):
    from app import app

    for path, entries in app.routes.items():
        for method, entry in entries.items():
            if method == "GET" or FORM not in entry.content_types:
                continue
            body = document["paths"][path][method.lower()].get("requestBody", {})
            assert FORM in body.get("content", {}), (method, path)


def test_every_json_error_follows_rfc_6749_section_5_2(document):
    error = document["components"]["schemas"]["OAuthError"]
    assert error["required"] == ["error"]
    assert set(error["properties"]) == {"error", "error_description"}


def test_every_error_code_we_raise_is_in_the_document(document):
    from chalicelib import errors

    codes = {
        cls.error
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.OAuthError)
    }
    # The authorization endpoint sends its errors to the client in a redirect, not as JSON.
    codes -= {
        "login_required",
        "consent_required",
        "interaction_required",
        "request_not_supported",
        "request_uri_not_supported",
    }
    enum = set(document["components"]["schemas"]["OAuthError"]["properties"]["error"]["enum"])
    assert codes <= enum, sorted(codes - enum)


def test_every_operation_documents_the_503_of_an_aws_fault(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS and method != "options":
                assert "503" in operation["responses"], (method, path)


def test_the_security_schemes_are_basic_client_auth_and_bearer(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["clientBasic"] == {**schemes["clientBasic"], "type": "http", "scheme": "basic"}
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    for path in ("/token", "/revoke", "/introspect", "/device_authorization"):
        assert {"clientBasic": []} in document["paths"][path]["post"]["security"], path
    for method in ("get", "post"):
        assert {"bearer": []} in document["paths"]["/userinfo"][method]["security"]


def test_the_token_grant_types_are_the_grant_registry(document):
    from chalicelib.grants import GRANTS

    schema = document["components"]["schemas"]["TokenRequest"]
    assert set(schema["properties"]["grant_type"]["enum"]) == set(GRANTS)


def test_no_route_leaves_chalice_to_answer_its_own_415():
    """Chalice checks Content-Type on every method and answers 415 `{"Code", "Message"}`,
    a body the document does not have; each route accepts any type and parses it itself."""
    from app import app

    for path, entries in app.routes.items():
        for method, entry in entries.items():
            assert "*/*" in entry.content_types, (method, path)


@pytest.mark.parametrize("path", ["/jwks.json", "/.well-known/openid-configuration", "/login"])
def test_a_get_with_any_content_type_is_answered_by_the_route(http, path):
    response = http.get(path, headers={"Content-Type": "text/plain"})
    assert response.status_code == 200, response.body[:200]
