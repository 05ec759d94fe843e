"""C12: every response, pages, assets, errors and the socket path alike, has strict headers.

The site is crawled from its home page (and the routes every deployment
answers, including a missing page); each response must carry a CSP without
unsafe sources and with the directives docs/ARCHITECTURE.md lists, the
no-referrer, nosniff, same-origin and deny-all permission headers, no
cookie, and HSTS when served over HTTPS. Runs against any deployment
(--base-url).
"""

from __future__ import annotations

from evidence.check import Check, CheckResult, Kind, judged
from evidence.checks._site import Crawl, Fetched, crawl
from evidence.context import Context

REQUIRED_DIRECTIVES = {
    "default-src": "'none'", "script-src": "'self'", "style-src": "'self'",
    "base-uri": "'none'", "form-action": "'self'", "frame-ancestors": "'none'",
}  # fmt: skip
EXACT_HEADERS = {
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
DENIED_FEATURES = ("camera=()", "microphone=()", "geolocation=()")
UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'wasm-unsafe-eval'", "*", "data:")


def csp_problems(policy: str) -> list[str]:
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    problems = [
        f"CSP {name} is not {value}"
        for name, value in REQUIRED_DIRECTIVES.items()
        if directives.get(name) != [value]
    ]
    for name, sources in directives.items():
        problems += [f"CSP {name} allows {source}" for source in sources if source in UNSAFE]
    return problems


def response_problems(response: Fetched, https: bool) -> list[str]:
    headers = response.headers
    problems = csp_problems(headers.get("content-security-policy", "")) if (
        "content-security-policy" in headers
    ) else ["no Content-Security-Policy"]  # fmt: skip
    for name, value in EXACT_HEADERS.items():
        if headers.get(name, "").lower() != value:
            problems.append(f"{name} is not {value}")
    policy = headers.get("permissions-policy", "")
    problems += [f"Permissions-Policy lacks {feature}" for feature in DENIED_FEATURES
                 if feature not in policy]  # fmt: skip
    if "set-cookie" in headers:
        problems.append("sets a cookie")
    if https and "max-age=" not in headers.get("strict-transport-security", ""):
        problems.append("no Strict-Transport-Security over HTTPS")
    return problems


def judge(responses: list[Fetched], https: bool) -> CheckResult:
    violations = [
        f"{response.path} ({response.status}): {problem}"
        for response in responses
        for problem in response_problems(response, https)
    ]
    statuses = sorted({response.status for response in responses})
    if not any(response.is_html for response in responses):
        violations.append("no page was fetched")
    return judged(
        violations, {"responses": len(responses), "pages": sum(r.is_html for r in responses)},
        f"all {len(responses)} responses carry strict security headers",
        "some responses lack strict security headers",
        {"paths": sorted(r.path for r in responses), "statuses": statuses},
    )  # fmt: skip


def site_crawl(ctx: Context) -> Crawl:
    crawled: Crawl = ctx.memo("crawl", lambda: crawl(ctx.origin()))
    return crawled


def run(ctx: Context) -> CheckResult:
    visit = site_crawl(ctx)
    return judge(list(visit.responses.values()), visit.origin.startswith("https://"))


CHECK = Check(
    "security_headers_every_route",
    "Strict security headers on every route",
    Kind.RUNTIME,
    run,
    remote=True,
)
