"""The two Markdown documents of a run: a summary, and a pack for reviewers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evidence.attacks import Attack
from evidence.claims import Claim
from evidence.registry import relative_source, source_path

# An attack of the catalogue and what the run found ("refused", ..., or "not run").
AttackLine = tuple[Attack, str]

RERUN = """\
## Re-run it yourself

```sh
git clone <this repository> && cd atopos
make security-evidence            # runs every check, writes evidence/latest/
python manage.py security_evidence --base-url <the site's URL>
                                  # the checks that work from outside, against a live site
```

The command starts its own daphne and Redis on loopback, drives them with the
Python client and headless Chromium, and exits non-zero if any check fails or
cannot run.
"""


def _status_word(status: str) -> str:
    return {"pass": "passed", "fail": "FAILED", "error": "could not run"}.get(status, status)


def evidence_summary(summary: dict[str, Any], attacks: Sequence[AttackLine] = ()) -> str:
    done = summary["completeness"]
    lines = [
        "# Evidence summary",
        "",
        f"- Run: `{summary['run_id']}` on {summary['run_date']} ({summary['target']})",
        f"- Commit: `{summary['git_commit']}` (working tree: {summary.get('worktree', 'unknown')})",
        f"- Client bundle: `{summary.get('bundle_hash', 'not recorded')}` (`make bundle-hash`)",
        f"- Overall: **{summary['overall']}**",
        f"- Checks: {done['checks_passed']} passed, {done['checks_failed']} failed, "
        f"{done['checks_error']} could not run, of {done['checks_run']} run "
        f"({done['checks_total']} in the claims matrix)",
        f"- Claims: {done['claims_proven']} proven, {done['claims_unproven']} unproven "
        f"of {done['claims_total']}",
        "",
        "## Claims",
        "",
        "| Claim | Status | Statement | Why |",
        "|---|---|---|---|",
    ]
    for claim in summary["claims"]:
        lines.append(
            f"| {claim['id']} | {claim['status']} | {claim['statement']} | {claim['reason']} |"
        )
    lines += ["", "## Checks", "", "| Check | Kind | Status | Seconds | Summary |",
              "|---|---|---|---|---|"]  # fmt: skip
    for check_id, check in summary["checks"].items():
        lines.append(
            f"| `{check_id}` | {check['kind']} | {_status_word(check['status'])} "
            f"| {check['duration_s']} | {check['summary']} |"
        )
    if attacks:
        lines += ["", "## Attacks", "", "| Attack | Claim | Result | Title |", "|---|---|---|---|"]
        lines += [
            f"| {attack.id} | {attack.claim} | {verdict} | {attack.title} |"
            for attack, verdict in attacks
        ]
    return "\n".join(lines) + "\n"


def _purpose(check_id: str) -> str:
    """The first paragraph of a check module's docstring: what it proves and how."""
    try:
        module_doc = source_path(check_id).read_text(encoding="utf-8")
    except (OSError, ValueError, LookupError):
        return "(no such check module)"
    doc = module_doc.split('"""', 2)[1] if module_doc.startswith('"""') else ""
    return " ".join(doc.strip().split("\n\n", 1)[0].split())


def _claim_state(check: dict[str, Any] | None, claim_id: str) -> str:
    """A check's status word, for this claim when the check judged claims one by one."""
    if check is None:
        return "not run"
    verdicts = check.get("claims") or {}
    if not verdicts:
        return _status_word(check["status"])
    own = verdicts.get(claim_id)
    return f"{_status_word(own)} for this claim" if own else "no verdict for this claim"


def _attack_lines(attacks: Sequence[AttackLine], claim_id: str) -> list[str]:
    lines = []
    for attack, verdict in attacks:
        if attack.claim != claim_id:
            continue
        lines.append(f"- Attack {attack.id}, {attack.title} (**{verdict}**): {attack.threat}")
        if attack.defence:
            lines.append(f"  Refused by: {attack.defence}")
        if attack.limit:
            lines.append(f"  Limit: {attack.limit}")
        lines.append("  Tests: " + "; ".join(f"`{test}`" for test in attack.tests))
    return lines


def reviewer_pack(
    claims: list[Claim], summary: dict[str, Any], attacks: Sequence[AttackLine] = ()
) -> str:
    statuses = {claim["id"]: claim for claim in summary["claims"]}
    lines = [
        "# Reviewer pack",
        "",
        "Every security claim Atopos makes, the threat it answers, the checks that "
        "prove it, and what those checks found in run "
        f"`{summary['run_id']}` (commit `{summary['git_commit']}`). A claim is proven "
        "only when every one of its checks ran and passed for it; a claim proven by "
        "attacks lists each attack (evidence/attacks.toml), what refuses it, the honest "
        "limit that remains, and the tests that perform it.",
        "",
        RERUN,
    ]
    for claim in claims:
        verdict = statuses.get(claim.id, {"status": "unproven", "reason": "not in this run"})
        lines += [
            f"## {claim.id}: {claim.statement}",
            "",
            f"- Threats: {', '.join(claim.threats)}",
            f"- Status: **{verdict['status']}** ({verdict['reason']})",
        ]
        for check_id in claim.checks:
            state = _claim_state(summary["checks"].get(check_id), claim.id)
            lines.append(
                f"- `{check_id}` ({state}; source `{relative_source(check_id)}`): "
                f"{_purpose(check_id)}"
            )
        lines += _attack_lines(attacks, claim.id)
        lines.append("")
    return "\n".join(lines)
