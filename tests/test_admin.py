"""The admin CLI: JSON out, the secret shown once and stored hashed, clear errors."""

from __future__ import annotations

import io
import json

import pytest

from tests.helpers.forms import basic, post_form


def admin(*args: str, stdin: str = "") -> tuple[int, dict]:
    import sys

    from chalicelib.admin import run

    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        code, result = run(["--stage", "dev", *args])
    finally:
        sys.stdin = old
    return code, result


def create(*extra: str) -> dict:
    code, result = admin(
        "client", "create", "--name", "Billing", "--grant-type", "client_credentials",
        "--scope", "api:read", *extra,
    )  # fmt: skip
    assert code == 0, result
    return result


def test_client_create_shows_the_secret_once_and_stores_only_its_sha256(aws):
    import hashlib

    from chalicelib.models import ClientModel

    created = create()
    record = ClientModel.get(created["client_id"])
    assert record.secret_hash == hashlib.sha256(created["client_secret"].encode()).hexdigest()
    assert created["client_secret"] not in json.dumps(record.to_simple_dict())
    code, shown = admin("client", "show", created["client_id"])
    assert code == 0 and "client_secret" not in shown and "secret_hash" not in shown
    assert shown["grant_types"] == ["client_credentials"]


def test_rotate_secret_replaces_the_old_one(http, aws):
    from chalicelib.records import clients

    created = create()
    code, rotated = admin("client", "rotate-secret", created["client_id"])
    assert code == 0
    clients.reset_cache()
    grant = {"grant_type": "client_credentials"}
    old = post_form(http, "/token", grant, basic(created["client_id"], created["client_secret"]))
    new = post_form(http, "/token", grant, basic(created["client_id"], rotated["client_secret"]))
    assert (old.status_code, new.status_code) == (401, 200)


def test_list_and_delete(aws):
    created = create()
    code, listed = admin("client", "list")
    assert code == 0 and created["client_id"] in {c["client_id"] for c in listed}
    assert admin("client", "delete", created["client_id"])[0] == 0
    assert admin("client", "show", created["client_id"]) == (1, {"error": "not found"})


@pytest.mark.parametrize(
    "args",
    [
        ("--grant-type", "magic"),
        ("--grant-type", "client_credentials", "--public"),
        ("--grant-type", "authorization_code"),
        ("--grant-type", "authorization_code", "--redirect-uri", "http://evil.example/cb"),
        ("--grant-type", "authorization_code", "--redirect-uri", "https://app.example/cb#x"),
        ("--grant-type", "client_credentials", "--auth-method", "private_key_jwt"),
        ("--grant-type", "client_credentials", "--resource", "https://rs.example/#frag"),
        ("--grant-type", "client_credentials", "--resource", "/relative"),
    ],
)
def test_invalid_client_metadata_exits_2_with_a_message(aws, args):
    code, result = admin("client", "create", "--name", "Bad", *args)
    assert code == 2 and result["error"]


def test_missing_required_argument_exits_2(aws, capsys):
    with pytest.raises(SystemExit) as exit_info:
        admin("client", "create", "--name", "No grant")
    assert exit_info.value.code == 2
    assert "--grant-type" in capsys.readouterr().err


def test_user_create_reads_the_password_from_stdin_and_stores_argon2id(aws):
    from chalicelib.models import UserModel

    code, user = admin(
        "user", "create", "--username", "ada", "--password-stdin", stdin="s3cret-pw\n"
    )
    assert code == 0 and user["sub"]
    stored = UserModel.get("ada").password_hash
    assert stored.startswith("$argon2id$") and "s3cret-pw" not in stored
    assert admin(
        "user", "create", "--username", "ada", "--password-stdin", stdin="other-pw1\n"
    ) == (
        2,
        {"error": "already exists"},
    )


def test_keys_list_shows_one_active_key_per_algorithm(aws):
    code, listed = admin("keys", "list")
    assert code == 0
    assert sorted((k["alg"], k["state"]) for k in listed) == [
        ("ES256", "active"),
        ("RS256", "active"),
    ]


def test_public_client_is_registered_as_requiring_pkce_even_without_the_flag(aws):
    code, created = admin(
        "client", "create", "--name", "CLI", "--public", "--grant-type",
        "urn:ietf:params:oauth:grant-type:device_code",
    )  # fmt: skip
    assert code == 0 and created["require_pkce"] is True and "client_secret" not in created


def test_keys_init_is_idempotent_and_reports_the_signing_mode(aws):
    code, first = admin("keys", "init")
    assert code == 0 and {k["mode"] for k in first} == {"kms"}
    assert admin("keys", "init") == (0, first)


def test_generated_client_ids_are_hex_so_a_command_line_never_reads_one_as_an_option(aws):
    import re

    ids = {create()["client_id"] for _ in range(20)}
    assert len(ids) == 20
    assert all(re.fullmatch(r"[0-9a-f]{32}", client_id) for client_id in ids)


def test_client_resources_are_stored_and_shown_and_default_to_the_default_audience(http, aws):
    """RFC 8707 §2: `--resource` (repeatable) names what the client may ask tokens for."""
    orders, billing = "https://orders.example/", "https://billing.example/"
    for uri in (orders, billing):
        assert admin("resource", "create", "--uri", uri)[0] == 0
    created = create("--resource", orders, "--resource", billing)
    code, shown = admin("client", "show", created["client_id"])
    assert code == 0 and shown["resources"] == [orders, billing]
    assert admin("client", "show", create()["client_id"])[1]["resources"] == ["urn:gatehouse:api"]
    auth = basic(created["client_id"], created["client_secret"])
    grant = {"grant_type": "client_credentials", "resource": billing}
    assert post_form(http, "/token", grant, auth).status_code == 200
    grant["resource"] = "https://payroll.example/"
    assert post_form(http, "/token", grant, auth).status_code == 400


def test_access_token_alg_flag_pins_the_clients_access_tokens_either_way(http, aws):
    import jwt

    grant = {"grant_type": "client_credentials"}
    for flag, alg in (("ES256", "ES256"), ("RS256", "RS256"), (None, "RS256")):
        created = create(*(("--access-token-alg", flag) if flag else ()))
        code, shown = admin("client", "show", created["client_id"])
        assert code == 0 and shown["access_token_signed_response_alg"] == flag
        auth = basic(created["client_id"], created["client_secret"])
        token = json.loads(post_form(http, "/token", grant, auth).body)["access_token"]
        assert jwt.get_unverified_header(token)["alg"] == alg  # unpinned: ACCESS_TOKEN_ALG


def test_access_token_alg_flag_takes_only_algorithms_we_sign_with(aws, capsys):
    with pytest.raises(SystemExit) as exit_info:
        create("--access-token-alg", "HS256")
    assert exit_info.value.code == 2
    assert "--access-token-alg" in capsys.readouterr().err


def test_resource_create_list_show_delete(aws):
    code, created = admin("resource", "create", "--uri", "https://mcp.example.com/mcp",
                          "--scope", "tools:read tools:call", "--open")  # fmt: skip
    assert code == 0
    assert created == {"uri": "https://mcp.example.com/mcp",
                       "scopes": ["tools:read", "tools:call"], "open": True}  # fmt: skip
    again = admin("resource", "create", "--uri", "https://mcp.example.com/mcp")
    assert again[0] == 2 and again[1]["code"] == "invalid_client_metadata"
    assert admin("resource", "create", "--uri", "https://x.example/#frag")[0] == 2
    assert [r["uri"] for r in admin("resource", "list")[1]] == ["https://mcp.example.com/mcp"]
    assert admin("resource", "show", "--uri", "https://mcp.example.com/mcp")[1]["open"] is True
    assert admin("resource", "delete", "--uri", "https://mcp.example.com/mcp")[0] == 0
    assert admin("resource", "show", "--uri", "https://mcp.example.com/mcp")[0] == 1


def test_registration_token_is_shown_once_stored_hashed_and_revocable(aws):
    import hashlib

    from chalicelib.models import RegistrationTokenModel
    from chalicelib.records.registration_tokens import is_valid

    code, created = admin("registration-token", "create", "--expires-in", "600")
    assert code == 0
    token = created["initial_access_token"]
    stored = [r.token_hash for r in RegistrationTokenModel.scan()]
    assert stored == [hashlib.sha256(token.encode()).hexdigest()] and is_valid(token)
    assert admin("registration-token", "revoke", "--token-stdin", stdin=token + "\n")[0] == 0
    assert not is_valid(token)
    assert admin("registration-token", "create", "--expires-in", "0")[0] == 2


def test_a_client_may_name_only_registered_resource_servers(aws):
    """A token's aud is always a registered resource (or DEFAULT_AUDIENCE)."""
    unknown = ["--resource", "https://unknown.example/"]
    code, result = admin("client", "create", "--name", "x", "--grant-type",
                         "client_credentials", *unknown)  # fmt: skip
    assert code == 2 and "not registered" in result["error"]
    assert admin("client", "list")[1] == []


def test_client_create_with_private_key_jwt_takes_a_public_key_set_and_no_secret(aws, tmp_path):
    from chalicelib.models import ClientModel
    from tests.helpers.assertions import ec_key, jwks, public_jwk, rsa_key

    keys = tmp_path / "jwks.json"
    keys.write_text(jwks(public_jwk(rsa_key(), "r1", alg="RS256")))
    pinned = ["--auth-method", "private_key_jwt", "--auth-signing-alg", "PS256"]
    created = create(*pinned, "--jwks-file", str(keys))
    assert "client_secret" not in created
    assert created["token_endpoint_auth_method"] == "private_key_jwt"
    assert created["token_endpoint_auth_signing_alg"] == "PS256"
    assert json.loads(created["jwks"])["keys"][0]["kid"] == "r1"
    leaked = tmp_path / "leaked.json"
    leaked.write_text(jwks({**public_jwk(ec_key(), "e"), "d": "AAAA"}))
    method = ["client", "create", "--name", "Bad", "--grant-type", "client_credentials",
              "--auth-method", "private_key_jwt"]  # fmt: skip
    for extra in (["--jwks-file", str(leaked)], ["--jwks-file", str(tmp_path / "missing")],
                  ["--jwks-uri", "http://keys.example/jwks.json"], []):  # fmt: skip
        code, result = admin(*method, *extra)
        assert code == 2 and result["error"], extra
    assert ClientModel.count() == 1
