"""Routes under /security/evidence/: pages, and downloads of the runner's own files.

The converters only match well-formed run references and check ids, so a
name such as ``..`` never reaches a view: the resolver answers 404 first.
"""

from __future__ import annotations

from django.urls import URLPattern, path, register_converter

from evidence import artifacts, views


class _Converter:
    """A path converter for one of the artifact name patterns."""

    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class RunRefConverter(_Converter):
    """``latest`` or ``runs/<run_id>``: a run's directory under ATOPOS_EVIDENCE_DIR."""

    regex = artifacts.RUN_REF.pattern


class RunIdConverter(_Converter):
    regex = artifacts.RUN_ID.pattern


class CheckIdConverter(_Converter):
    regex = artifacts.CHECK_ID.pattern


register_converter(RunRefConverter, "evidence_run")
register_converter(RunIdConverter, "evidence_run_id")
register_converter(CheckIdConverter, "evidence_check")

urlpatterns: list[URLPattern] = [
    path("", views.index, name="evidence"),
    path("reviewer-pack/", views.reviewer_pack, name="evidence-reviewer-pack"),
    path("checks/<evidence_check:check_id>/", views.check, name="evidence-check"),
    path("runs/<evidence_run_id:run_id>/", views.run, name="evidence-run"),
    path("<evidence_run:ref>/summary.json", views.summary_json, name="evidence-summary-json"),
    path(
        "<evidence_run:ref>/checks/<evidence_check:check_id>.json",
        views.check_json,
        name="evidence-check-json",
    ),
    path(
        "<evidence_run:ref>/EVIDENCE_SUMMARY.md",
        views.document,
        {"name": "EVIDENCE_SUMMARY.md"},
        name="evidence-summary-md",
    ),
    path(
        "<evidence_run:ref>/REVIEWER_PACK.md",
        views.document,
        {"name": "REVIEWER_PACK.md"},
        name="evidence-reviewer-pack-md",
    ),
]
