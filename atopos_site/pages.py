"""The security pages: security overview, threat model, disclosure, security.txt."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from evidence import artifacts

FAVICON = "img/favicon.svg"
# RFC 9116 asks for an expiry under a year away; it moves with each deploy day.
SECURITY_TXT_LIFETIME = dt.timedelta(days=180)


@require_safe
def security(request: HttpRequest) -> HttpResponse:
    """What Atopos protects against, its limits, and each claim with its current evidence."""
    # Read from the latest run's check artifacts on every request: never hard-coded.
    report = artifacts.report(artifacts.LATEST)
    return render(
        request,
        "pages/security.html",
        {
            "page": "security",
            "source_url": settings.ATOPOS_SOURCE_URL,
            "report": report,
            "formal_models": _check_state(report, FORMAL_MODELS_CHECK),
        },
    )


FORMAL_MODELS_CHECK = "formal_models"


def _check_state(report: artifacts.Report, check_id: str) -> artifacts.CheckState | None:
    """The latest run's state of one check, as the first claim resting on it sees it."""
    return next(
        (state for row in report.claims for state in row.checks if state.id == check_id), None
    )


@require_safe
def threat_model(request: HttpRequest) -> HttpResponse:
    """The plain-English threat model."""
    return render(request, "pages/threat_model.html", {"page": "threat-model"})


@require_safe
def disclosure(request: HttpRequest) -> HttpResponse:
    """How to report a vulnerability and what reporters can expect."""
    return render(
        request,
        "pages/disclosure.html",
        {"page": "disclosure", "contact": settings.ATOPOS_SECURITY_CONTACT},
    )


def _expires(now: dt.datetime) -> str:
    day = (now + SECURITY_TXT_LIFETIME).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.strftime("%Y-%m-%dT%H:%M:%SZ")


@require_safe
def security_txt(request: HttpRequest) -> HttpResponse:
    """RFC 9116 contact file for this host."""
    lines = [
        f"Contact: {settings.ATOPOS_SECURITY_CONTACT}",
        f"Expires: {_expires(dt.datetime.now(dt.UTC))}",
        f"Policy: {request.build_absolute_uri(reverse('disclosure'))}",
        f"Canonical: {request.build_absolute_uri(reverse('security-txt'))}",
        "Preferred-Languages: en",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Keep crawlers away from room pages."""
    return HttpResponse(
        "User-agent: *\nDisallow: /r/\nDisallow: /ws/\n", content_type="text/plain; charset=utf-8"
    )


@lru_cache(maxsize=1)
def _favicon_bytes() -> bytes:
    found = finders.find(FAVICON)
    if not isinstance(found, str):
        raise FileNotFoundError(f"static file {FAVICON!r} not found")
    return Path(found).read_bytes()


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for by themselves: the site's SVG icon.

    The bytes themselves rather than a redirect: a permanent redirect to the
    hashed static name would outlive the release that served it.
    """
    response = HttpResponse(_favicon_bytes(), content_type="image/svg+xml")
    response["Cache-Control"] = "max-age=86400"
    return response
