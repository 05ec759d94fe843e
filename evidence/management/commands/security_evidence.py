"""`python manage.py security_evidence`: run every check and publish the artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence.collect import PROJECT_ROOT, Target
from evidence.runner import run_evidence


class Command(BaseCommand):
    help = (
        "Run the security evidence checks and write the artifacts to ATOPOS_EVIDENCE_DIR/latest "
        "(exits non-zero if any check fails or cannot run)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            help="examine a live deployment from outside (only the checks that can)",
        )
        parser.add_argument("--out", type=Path, help="evidence directory (default: the setting)")
        parser.add_argument(
            "--check", action="append", dest="checks", metavar="ID", help="run only this check"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = options["base_url"]
        if base_url and urlsplit(base_url).scheme not in ("http", "https"):
            raise CommandError("--base-url must be an http: or https: URL")
        evidence_dir = options["out"] or Path(settings.ATOPOS_EVIDENCE_DIR)
        ctx = Target(work=PROJECT_ROOT / "var" / "evidence-work", base_url=base_url)
        secret_key = settings.SECRET_KEY.encode()
        outcome = run_evidence(
            evidence_dir, ctx, options["checks"], [secret_key], log=self.stdout.write
        )
        done = outcome.summary["completeness"]
        self.stdout.write(
            f"claims proven: {done['claims_proven']} of {done['claims_total']}; checks passed: "
            f"{done['checks_passed']} of {done['checks_run']} run"
        )
        if outcome.unsafe:
            for finding in outcome.unsafe:
                self.stderr.write(f"not publish-safe: {finding}")
            raise CommandError("artifacts were not published: the publish-safe scan failed")
        self.stdout.write(f"artifacts: {outcome.published}")
        if not outcome.passed:
            raise CommandError("some checks failed or could not run")
