"""Signing in over plain HTTP against a running stack, without a browser (for e2e tests)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of the page's first form (the login page has a passkey form too)."""
    form = re.search(r"<form\b.*?</form>", html, re.S)
    html = form.group(0) if form else html
    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    return {unescape(k): unescape(v) for k, v in pairs}


def code_for(issuer: str, authorize_params: dict[str, str], username: str, password: str) -> str:
    """Follow /authorize -> login -> consent like a browser would; return the code."""
    session = requests.Session()
    step: Any = session.get(f"{issuer}/authorize", params=authorize_params, allow_redirects=False)
    login = session.get(step.headers["Location"], timeout=10)
    fields = {**hidden_fields(login.text), "username": username, "password": password}
    step = session.post(f"{issuer}/login", data=fields, allow_redirects=False, timeout=10)
    consent = session.get(step.headers["Location"], allow_redirects=False, timeout=10)
    fields = {**hidden_fields(consent.text), "decision": "approve"}
    step = session.post(f"{issuer}/consent", data=fields, allow_redirects=False, timeout=10)
    return parse_qs(urlsplit(step.headers["Location"]).query)["code"][0]
