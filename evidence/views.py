"""Reviewer pages for the security evidence, rendered from the runner's files on disk.

Nothing here is hard-coded: each page reads ATOPOS_EVIDENCE_DIR on every
request (see evidence.artifacts), so a new run shows up without a deploy, and
a missing or damaged artifact shows as unproven rather than as an error. What
needs rendering (the reviewer pack's Markdown, the checks' code) was rendered
once when the run was written (evidence.prebuilt): no request parses it.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from atopos_site.running_code import RunningCode, compare, running_code
from evidence import artifacts

RUNS_SHOWN = 50


def _report_context(report: artifacts.Report) -> dict[str, object]:
    """What index.html and a run's page share."""
    return {
        "page": "security",
        "report": report,
        "run": report.summary,
        "ref": report.ref,
        "runs": artifacts.list_runs(RUNS_SHOWN),
        "latest_run_id": _latest_run_id(),
        "source_url": settings.ATOPOS_SOURCE_URL.rstrip("/"),
        **_code_comparison(report.summary),
    }


def _code_comparison(summary: artifacts.RunSummary | None) -> dict[str, object]:
    """The code the run examined beside the code this site runs, and whether they match."""
    if summary is None:
        return {}
    examined = RunningCode(summary.git_commit, summary.bundle_hash)
    return {"examined_code": examined, "comparison": compare(running_code(), examined)}


def _latest_run_id() -> str:
    latest = artifacts.latest_summary()
    return latest.run_id if latest else ""


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The latest run: claims matrix, checks, and the runs before it."""
    report = artifacts.report(artifacts.LATEST)
    context = _report_context(report)
    context["has_documents"] = _has_documents(artifacts.LATEST)
    return render(request, "evidence/index.html", context)


@require_safe
def run(request: HttpRequest, run_id: str) -> HttpResponse:
    """One archived run, rendered like the latest one."""
    report = artifacts.report(artifacts.run_ref(run_id))
    if report.summary is None:
        raise Http404("no such run")
    context = _report_context(report)
    context["has_documents"] = _has_documents(report.ref)
    return render(request, "evidence/index.html", context)


def _has_documents(ref: str) -> dict[str, bool]:
    return {
        name.removesuffix(".md"): artifacts.document_text(ref, name) is not None
        for name in artifacts.DOCUMENTS
    }


@require_safe
def reviewer_pack(request: HttpRequest) -> HttpResponse:
    """The latest REVIEWER_PACK.md as the runner rendered it (escaped; a small markdown subset)."""
    context = {
        "page": "security",
        "run": artifacts.latest_summary(),
        "blocks": artifacts.reviewer_pack_blocks(artifacts.LATEST),
        "has_documents": _has_documents(artifacts.LATEST),
    }
    return render(request, "evidence/reviewer_pack.html", context)


@require_safe
def check(request: HttpRequest, check_id: str) -> HttpResponse:
    """A check's code, the claims it supports and its latest result."""
    page = artifacts.check_page(check_id)
    if page is None:
        raise Http404("no such check")
    source_url = settings.ATOPOS_SOURCE_URL.rstrip("/")
    context = {
        "page": "security",
        "check": page,
        "source_link": f"{source_url}/blob/main/{page.source_file}" if source_url else "",
    }
    return render(request, "evidence/check.html", context)


def _attachment(data: bytes, content_type: str, ref: str, name: str) -> HttpResponse:
    """A download whose file name is built only from validated pieces."""
    label = ref.removeprefix("runs/")
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{label}-{name}"'
    return response


@require_safe
def summary_json(request: HttpRequest, ref: str) -> HttpResponse:
    """A run's summary.json, byte for byte."""
    data = artifacts.summary_bytes(ref)
    if data is None:
        raise Http404("no such summary")
    return _attachment(data, "application/json", ref, "summary.json")


@require_safe
def check_json(request: HttpRequest, ref: str, check_id: str) -> HttpResponse:
    """A run's checks/<id>.json, byte for byte."""
    data = artifacts.check_artifact_bytes(ref, check_id)
    if data is None:
        raise Http404("no such artifact")
    return _attachment(data, "application/json", ref, f"{check_id}.json")


@require_safe
def document(request: HttpRequest, ref: str, name: str) -> HttpResponse:
    """EVIDENCE_SUMMARY.md or REVIEWER_PACK.md as the runner wrote it."""
    text = artifacts.document_text(ref, name)
    if text is None:
        raise Http404("no such document")
    return _attachment(text.encode("utf-8"), "text/markdown; charset=utf-8", ref, name)
