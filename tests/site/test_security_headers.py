"""Every response carries the exact security headers, and public pages set no cookie."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

EXPECTED_CSP = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "require-trusted-types-for": ["'script'"],
    "trusted-types": ["'none'"],
}
EXPECTED_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
INLINE_SCRIPT = re.compile(
    r"<script((?:\s+(?!src\b)[a-z-]+(?:=\"[^\"]*\")?)*)>(.*?)</script>", re.S
)
DENIED_FEATURES = {"camera", "microphone", "geolocation", "usb", "payment", "display-capture"}

PUBLIC_ROUTES = [
    ("/", 200),
    ("/security/", 200),
    ("/security/evidence/", 200),
    ("/security/evidence/reviewer-pack/", 200),
    ("/security/evidence/checks/routes_take_no_fragment/", 200),
    ("/security/evidence/checks/no_such_check/", 404),
    ("/security/evidence/runs/20261123T071500Z-1a2b3c4/", 404),
    ("/security/evidence/latest/checks/no_such_check.json", 404),
    ("/threat-model/", 200),
    ("/disclosure/", 200),
    ("/.well-known/security.txt", 200),
    ("/robots.txt", 200),
    ("/static/css/site.css", 200),
    ("/static/img/favicon.svg", 200),
    ("/r/", 200),
    ("/static/js/ui/room-page.js", 200),
    ("/no-such-page/", 404),
    ("/r/anything-after", 404),
]


def parse_csp(header: str) -> dict[str, list[str]]:
    """A CSP header as {directive: [sources]}, in any directive order."""
    policy: dict[str, list[str]] = {}
    for directive in header.split(";"):
        name, *sources = directive.split()
        assert name not in policy, f"{name} appears twice"
        policy[name] = sources
    return policy


def inline_script_hashes(response) -> list[str]:
    """The hash-source of each inline script element a page holds; only import maps may be one."""
    if not response.get("Content-Type", "").startswith("text/html"):
        return []
    hashes = []
    for attributes, text in INLINE_SCRIPT.findall(response.content.decode()):
        assert attributes == ' type="importmap"', f"an inline <script{attributes}>"
        digest = base64.b64encode(hashlib.sha384(text.encode()).digest()).decode()
        hashes.append(f"'sha384-{digest}'")
    return hashes


def assert_security_headers(response) -> None:
    """The CSP and every fixed header, exactly; script-src admits only the page's import map."""
    expected = {**EXPECTED_CSP, "script-src": ["'self'", *inline_script_hashes(response)]}
    assert parse_csp(response["Content-Security-Policy"]) == expected
    for name, value in EXPECTED_HEADERS.items():
        assert response[name] == value, name
    features = dict(item.strip().split("=") for item in response["Permissions-Policy"].split(","))
    assert set(features.values()) == {"()"}
    assert set(features) >= DENIED_FEATURES


@pytest.mark.parametrize(("path", "status"), PUBLIC_ROUTES)
def test_public_route_sends_exact_headers_and_no_cookie(client, alpha, path, status):
    """Each public route: expected status, exact security headers, no Set-Cookie."""
    response = client.get(path, HTTP_HOST="alpha.localhost")
    assert response.status_code == status
    assert_security_headers(response)
    assert "Set-Cookie" not in response
    assert not response.cookies


def test_unknown_host_404_carries_the_same_headers(client, alpha):
    """The refusal for a host no tenant serves is hardened like any page."""
    response = client.get("/", HTTP_HOST="unknown.localhost")
    assert response.status_code == 404
    assert_security_headers(response)
    assert "Set-Cookie" not in response


def test_csp_forbids_inline_and_eval_everywhere(client, alpha):
    """No directive allows inline code, eval, data: or any other origin."""
    header = client.get("/", HTTP_HOST="alpha.localhost")["Content-Security-Policy"]
    for forbidden in ("unsafe-inline", "unsafe-eval", "unsafe-hashes", "data:", "http", "*"):
        assert forbidden not in header


def test_hsts_is_absent_outside_production(client, alpha):
    """Development and test answers never pin browsers to HTTPS."""
    response = client.get("/", HTTP_HOST="alpha.localhost", secure=True)
    assert "Strict-Transport-Security" not in response


def test_hsts_is_sent_on_secure_requests_when_configured(client, alpha, settings):
    """With HSTS seconds set (the production default), secure responses pin HTTPS."""
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = client.get("/", HTTP_HOST="alpha.localhost", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_static_files_do_not_allow_other_origins(client, alpha):
    """WhiteNoise's default Access-Control-Allow-Origin: * is switched off."""
    response = client.get("/static/css/site.css", HTTP_HOST="alpha.localhost")
    assert "Access-Control-Allow-Origin" not in response
