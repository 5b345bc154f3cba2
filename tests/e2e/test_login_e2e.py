"""Login over `chalice local` with users managed by the admin CLI."""

from __future__ import annotations

import re

import requests

from tests.helpers.stack import Stack

PASSWORD = "a long demo password"


def login(
    stack: Stack, session: requests.Session, username: str, password: str
) -> requests.Response:
    page = session.get(f"{stack.issuer}/login", params={"return_to": "/login"}, timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return session.post(
        f"{stack.issuer}/login",
        data={
            "csrf_token": token,
            "return_to": "/login",
            "username": username,
            "password": password,
        },
        allow_redirects=False,
        timeout=10,
    )


def test_admin_user_commands_control_who_can_sign_in(stack: Stack) -> None:
    # Given a user created with the admin CLI
    created = stack.admin(
        "user", "create", "--username", "carol", "--password-stdin", stdin=PASSWORD
    )
    assert created["username"] == "carol" and created["sub"]

    # When she signs in on loopback http, the session cookie is HttpOnly and Lax but not Secure
    browser = requests.Session()
    response = login(stack, browser, "carol", PASSWORD)
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("gh_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie

    # Then set-password changes what works, disable stops her, delete removes her
    stack.admin(
        "user", "set-password", "--username", "carol", "--password-stdin", stdin="new password 2"
    )
    assert login(stack, requests.Session(), "carol", PASSWORD).status_code == 400
    assert login(stack, requests.Session(), "carol", "new password 2").status_code == 303
    assert stack.admin("user", "disable", "--username", "carol")["disabled"] is True
    assert login(stack, requests.Session(), "carol", "new password 2").status_code == 400
    assert stack.admin("user", "delete", "--username", "carol")["deleted"] is True
    assert login(stack, requests.Session(), "carol", "new password 2").status_code == 400
