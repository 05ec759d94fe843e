"""Reviewer pages for the security evidence."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The claims and the state of their evidence on this deployment."""
    return render(request, "evidence/index.html", {"page": "security"})
