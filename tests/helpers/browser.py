"""A cookie-keeping browser over Chalice's test client, for page flows without Chromium."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import urlencode, urlsplit

ISSUER = "https://auth.test"
FORM_TYPE = {"Content-Type": "application/x-www-form-urlencoded"}
Form = dict[str, str] | list[tuple[str, str]]  # a list of pairs may repeat a name


def set_cookie_values(response: Any) -> list[str]:
    value = response.headers.get("Set-Cookie") or response.headers.get("set-cookie") or []
    return [value] if isinstance(value, str) else list(value)


def first_form(html: str) -> str:
    """The page's first form (the login page also holds the passkey form after it)."""
    found = re.search(r"<form\b.*?</form>", html, re.S)
    return found.group(0) if found else html


def hidden_pairs(html: str) -> list[tuple[str, str]]:
    """Every hidden input of the first form as (name, value), repeated names included."""
    pairs = []
    for tag in re.findall(r"<input[^>]*type=\"hidden\"[^>]*>", first_form(html)):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            pairs.append((unescape(name.group(1)), unescape(value.group(1)) if value else ""))
    return pairs


def hidden_fields(html: str) -> dict[str, str]:
    return dict(hidden_pairs(html))


class Browser:
    def __init__(self, http: Any, issuer: str = ISSUER) -> None:
        self.http = http
        self.issuer = issuer
        self.cookies: dict[str, str] = {}
        self.extra_headers: dict[str, str] = {}  # sent with every request

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {**self.extra_headers, **(extra or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _keep(self, response: Any) -> Any:
        for line in set_cookie_values(response):
            name, _, rest = line.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in line:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def get(self, url: str, params: Form | None = None) -> Any:
        path = path_of(url, self.issuer)
        if params:
            path += ("&" if "?" in path else "?") + urlencode(params)
        return self._keep(self.http.get(path, headers=self._headers()))

    def post(self, url: str, data: Form) -> Any:
        body = urlencode(data)
        headers = self._headers(FORM_TYPE)
        return self._keep(self.http.post(path_of(url, self.issuer), body=body, headers=headers))

    def submit(self, page: Any, **fields: str) -> Any:
        """Post the page's first form with its hidden fields plus `fields`."""
        html = page.body.decode()
        action = re.search(r'<form[^>]*action="([^"]*)"', html)
        assert action, html
        kept = [(name, value) for name, value in hidden_pairs(html) if name not in fields]
        return self.post(unescape(action.group(1)), [*kept, *fields.items()])

    def login(self, username: str, password: str, return_to: str | None = None) -> Any:
        page = self.get("/login", {"return_to": return_to} if return_to else None)
        return self.submit(page, username=username, password=password)


def path_of(url: str, issuer: str = ISSUER) -> str:
    if url.startswith(issuer):
        url = url[len(issuer) :]
    parts = urlsplit(url)
    assert not parts.netloc, f"not a URL on this server: {url}"
    return url
