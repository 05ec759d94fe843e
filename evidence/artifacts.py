"""Read the evidence runner's artifacts from ATOPOS_EVIDENCE_DIR, safely and typed.

The layout (written by the runner) is ``latest/`` and ``runs/<run_id>/``, each
holding ``summary.json``, ``checks/<check_id>.json``, ``EVIDENCE_SUMMARY.md``,
``REVIEWER_PACK.md`` and ``pages.json`` (what the pages show, rendered once by
evidence.prebuilt when the run was written: no request parses Markdown or a
check's source). Pages only ever name a file through the validated
pieces below, so no request can reach outside that directory. A file that is
missing, too large, not UTF-8 or not the expected JSON shape reads as missing:
the pages then say "unproven", never an error page.

Claim verdicts come from the check artifact files, not from the claims list in
``summary.json``: a claim is proven only when each of its checks' own artifact
file says "pass" -- for that claim, when the check judged claims one by one
(its ``claims``; see evidence.claims). The attack catalogue's results come
from the artifact of the check that runs it (``attacks_refused``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.conf import settings

from evidence import registry
from evidence.attacks import CHECK_ID as ATTACKS_CHECK
from evidence.attacks import Attack, CatalogueError, TestRef, load_attacks
from evidence.check import Status
from evidence.claims import (
    NO_VERDICT,
    Claim,
    ClaimsFileError,
    Verdict,
    all_check_ids,
    judge,
    load_claims,
    status_for,
)
from evidence.prebuilt import PAGES_FILE, Block, Declared, Span

BLOCK_KINDS = ("heading", "paragraph", "list", "ordered", "pre")

LATEST = "latest"
RUN_ID = re.compile(r"[0-9]{8}T[0-9]{6}Z-[0-9a-f]{7,12}")
# A run reference is the run's directory relative to ATOPOS_EVIDENCE_DIR.
RUN_REF = re.compile(rf"{LATEST}|runs/{RUN_ID.pattern}")
CHECK_ID = re.compile(r"[a-z][a-z0-9_]{2,63}")  # the same ids evidence.registry accepts
CLAIM_ID = re.compile(r"C\d{2}")
ATTACK_ID = re.compile(r"A\d{2,3}")
DOCUMENTS = ("EVIDENCE_SUMMARY.md", "REVIEWER_PACK.md")
# Far above any real artifact; keeps a runaway file from filling a worker's memory.
MAX_BYTES = 8 * 1024 * 1024

CHECK_STATUSES = frozenset(status.value for status in Status)
COMPLETENESS_KEYS = (
    "checks_total",
    "checks_run",
    "checks_passed",
    "checks_failed",
    "checks_error",
    "claims_total",
    "claims_proven",
    "claims_unproven",
)
_BUNDLE_HASH = re.compile(r"[0-9a-f]{64}")
_COMMIT = re.compile(r"[0-9a-f]{40}")
# What a reader sees for each state of a check's artifact (text, never colour alone).
STATUS_LABELS = {
    "pass": "Pass",  # nosec B105 -- a status label, not a password
    "fail": "Fail",
    "error": "Error",
    "missing": "No artifact",
    "unreadable": "Unreadable artifact",
    NO_VERDICT: "No verdict for this claim",
}
# The colour class of each state (the text above always says it too).
STATUS_CSS = {NO_VERDICT: "missing"}
# What the run found for an attack, as attacks_refused records it, or "not run".
ATTACK_LABELS = {
    "refused": ("Refused", "pass"),
    "not refused": ("Not refused", "fail"),
    "missing": ("Missing test", "fail"),
    "could not run": ("Could not run", "error"),
    "not run": ("Not in this run", "missing"),
}


class Malformed(ValueError):
    """An artifact does not have the documented shape (it then counts as missing)."""


# ---- Where things are --------------------------------------------------------


def evidence_dir() -> Path:
    """Read at call time so tests (and a reconfigured process) see the current setting."""
    return Path(settings.ATOPOS_EVIDENCE_DIR)


def is_run_ref(value: str) -> bool:
    return RUN_REF.fullmatch(value) is not None


def is_check_id(value: str) -> bool:
    return CHECK_ID.fullmatch(value) is not None


def run_ref(run_id: str) -> str:
    """The reference of a run in runs/, e.g. ``runs/20261123T071500Z-1a2b3c4``."""
    if not RUN_ID.fullmatch(run_id):
        raise ValueError("not a run id")
    return f"runs/{run_id}"


def _read_bytes(ref: str, name: str) -> bytes | None:
    """A file under a validated run directory, or None; symlinks may not lead outside."""
    if not is_run_ref(ref):
        return None
    base = evidence_dir()
    try:
        root = base.resolve(strict=True)
        path = (base / ref / name).resolve(strict=True)
        if not path.is_relative_to(root) or not path.is_file():
            return None
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except (OSError, RuntimeError):
        return None
    return data if len(data) <= MAX_BYTES else None


def _parse_json(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as error:
        raise Malformed("not JSON") from error


# ---- Shape checks ------------------------------------------------------------


def _field(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(key)
    # bool is an int in Python, but never a valid count or duration here.
    if isinstance(value, bool) or not isinstance(value, kind):
        raise Malformed(f"{key} has the wrong type")
    return value


def _choice(data: Mapping[str, Any], key: str, allowed: Iterable[str]) -> str:
    value = _field(data, key, str)
    if value not in allowed:
        raise Malformed(f"{key} is not one of the allowed values")
    return str(value)


def _counts(value: Any, key: str) -> dict[str, int]:
    if not isinstance(value, dict):
        raise Malformed(f"{key} must be an object")
    for name, count in value.items():
        if not isinstance(count, int) or isinstance(count, bool):
            raise Malformed(f"{key}.{name} must be an integer")
    return dict(value)


def _timestamp(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as error:
        raise Malformed("run_date is not a timestamp") from error
    if moment.tzinfo is None:
        raise Malformed("run_date has no time zone")
    return moment.astimezone(dt.UTC)


# ---- Run summaries -----------------------------------------------------------


@dataclass(frozen=True)
class CheckEntry:
    """A check as the run summary lists it (the table; verdicts use the artifact).

    ``kind`` is any text: the runner writes "unknown" for a check whose module
    is missing, and that must not hide the whole run.
    """

    id: str
    status: str
    title: str
    kind: str
    summary: str
    duration_s: float


WORKTREE_STATES = ("clean", "modified")


@dataclass(frozen=True)
class RunSummary:
    """A run's summary.json, validated."""

    ref: str
    run_id: str
    run_date: dt.datetime
    git_commit: str
    target: str
    overall: str
    completeness: dict[str, int]
    key_counts: dict[str, int]
    checks: dict[str, CheckEntry]
    # "modified" when the run examined uncommitted changes on top of git_commit.
    worktree: str = "unknown"
    # The client bundle hash of the examined code; "" in runs that did not record one.
    bundle_hash: str = ""

    @property
    def readable_key_counts(self) -> list[tuple[str, int]]:
        """("Redis keys scanned", 8) for "redis_keys_scanned": 8, in the run's order."""
        return [(name.replace("_", " ").capitalize(), n) for name, n in self.key_counts.items()]

    @property
    def short_commit(self) -> str:
        return self.git_commit[:12] if _COMMIT.fullmatch(self.git_commit) else self.git_commit

    @property
    def has_commit(self) -> bool:
        return _COMMIT.fullmatch(self.git_commit) is not None


def _check_entry(check_id: str, raw: Any) -> CheckEntry:
    if not is_check_id(check_id) or not isinstance(raw, dict):
        raise Malformed("bad check entry")
    if raw.get("artifact") != f"checks/{check_id}.json":
        raise Malformed(f"{check_id}: unexpected artifact path")
    return CheckEntry(
        id=check_id,
        status=_choice(raw, "status", CHECK_STATUSES),
        title=_field(raw, "title", str),
        kind=_field(raw, "kind", str),
        summary=_field(raw, "summary", str),
        duration_s=float(_field(raw, "duration_s", (int, float))),
    )


def _summary(ref: str, raw: Any) -> RunSummary:
    if not isinstance(raw, dict) or raw.get("format") != 1:
        raise Malformed("unknown summary format")
    run_id = _field(raw, "run_id", str)
    if not RUN_ID.fullmatch(run_id) or (ref != LATEST and ref != run_ref(run_id)):
        raise Malformed("run_id does not match its directory")
    commit = _field(raw, "git_commit", str)
    if commit != "unknown" and not _COMMIT.fullmatch(commit):
        raise Malformed("git_commit is not a commit")
    completeness = _counts(raw.get("completeness"), "completeness")
    if set(completeness) != set(COMPLETENESS_KEYS):
        raise Malformed("completeness has unexpected keys")
    checks = raw.get("checks")
    if not isinstance(checks, dict):
        raise Malformed("checks must be an object")
    return RunSummary(
        ref=ref,
        run_id=run_id,
        run_date=_timestamp(_field(raw, "run_date", str)),
        git_commit=commit,
        target=_choice(raw, "target", ("local", "remote")),
        overall=_choice(raw, "overall", ("pass", "fail")),
        completeness=completeness,
        key_counts=_counts(raw.get("key_counts"), "key_counts"),
        checks={check_id: _check_entry(check_id, entry) for check_id, entry in checks.items()},
        worktree=str(raw.get("worktree")) if raw.get("worktree") in WORKTREE_STATES else "unknown",
        bundle_hash=_bundle_hash(raw.get("bundle_hash")),
    )


def _bundle_hash(value: Any) -> str:
    """A recorded bundle hash (64 hex digits), or "" when absent; anything else is malformed."""
    if value is None:
        return ""
    if not isinstance(value, str) or not _BUNDLE_HASH.fullmatch(value):
        raise Malformed("bundle_hash is not a SHA-256 hex digest")
    return value


def read_summary(ref: str) -> RunSummary | None:
    """A run's validated summary, or None when it is absent or malformed."""
    data = _read_bytes(ref, "summary.json")
    if data is None:
        return None
    try:
        return _summary(ref, _parse_json(data))
    except Malformed:
        return None


def latest_summary() -> RunSummary | None:
    return read_summary(LATEST)


def list_runs(limit: int = 100) -> list[RunSummary]:
    """Runs in runs/ with a valid summary, newest first (run ids start with their time)."""
    try:
        names = [entry.name for entry in (evidence_dir() / "runs").iterdir()]
    except OSError:
        return []
    run_ids = sorted((name for name in names if RUN_ID.fullmatch(name)), reverse=True)
    runs = [read_summary(run_ref(run_id)) for run_id in run_ids[:limit]]
    found = [run for run in runs if run is not None]
    return sorted(found, key=lambda run: (run.run_date, run.run_id), reverse=True)


# ---- Check artifacts ---------------------------------------------------------


@dataclass(frozen=True)
class CheckArtifact:
    """One check's checks/<id>.json, validated."""

    check: str
    title: str
    kind: str
    status: str
    summary: str
    counts: dict[str, int]
    reasons: tuple[str, ...]
    duration_s: float
    # Per-claim verdicts of a check that judges claims one by one (else empty).
    claims: dict[str, str] = field(default_factory=dict)


def _claim_verdicts(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Malformed("claims must be an object")
    for claim_id, status in value.items():
        if not CLAIM_ID.fullmatch(claim_id) or status not in CHECK_STATUSES:
            raise Malformed("claims must map claim ids to statuses")
    return dict(value)


def _artifact(check_id: str, raw: Any) -> CheckArtifact:
    if not isinstance(raw, dict) or raw.get("check") != check_id:
        raise Malformed("artifact is for another check")
    reasons = _field(raw, "reasons", list)
    if not all(isinstance(reason, str) for reason in reasons):
        raise Malformed("reasons must be strings")
    _field(raw, "details", dict)
    return CheckArtifact(
        check=check_id,
        title=_field(raw, "title", str),
        kind=_field(raw, "kind", str),
        status=_choice(raw, "status", CHECK_STATUSES),
        summary=_field(raw, "summary", str),
        counts=_counts(raw.get("counts"), "counts"),
        reasons=tuple(reasons),
        duration_s=float(_field(raw, "duration_s", (int, float))),
        claims=_claim_verdicts(raw.get("claims")),
    )


def _load_artifact(ref: str, check_id: str) -> tuple[str, CheckArtifact | None]:
    """("missing" | "unreadable" | its status, the artifact when it is valid)."""
    if not is_check_id(check_id):
        return "missing", None
    data = _read_bytes(ref, f"checks/{check_id}.json")
    if data is None:
        return "missing", None
    try:
        artifact = _artifact(check_id, _parse_json(data))
    except Malformed:
        return "unreadable", None
    return artifact.status, artifact


def read_check_artifact(ref: str, check_id: str) -> CheckArtifact | None:
    """A run's artifact for one check, or None when absent or malformed."""
    return _load_artifact(ref, check_id)[1]


# ---- Downloads ---------------------------------------------------------------


def summary_bytes(ref: str) -> bytes | None:
    """summary.json exactly as written, only when it is a valid summary."""
    data = _read_bytes(ref, "summary.json")
    return data if data is not None and read_summary(ref) is not None else None


def check_artifact_bytes(ref: str, check_id: str) -> bytes | None:
    """checks/<id>.json exactly as written, only when it is a valid artifact."""
    if not is_check_id(check_id):
        return None
    data = _read_bytes(ref, f"checks/{check_id}.json")
    return data if data is not None and read_check_artifact(ref, check_id) else None


def document_text(ref: str, name: str) -> str | None:
    """EVIDENCE_SUMMARY.md or REVIEWER_PACK.md of a run, when present and UTF-8."""
    if name not in DOCUMENTS:
        return None
    data = _read_bytes(ref, name)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


# ---- Claims judged from the artifacts ----------------------------------------


@dataclass(frozen=True)
class CheckState:
    """A check's result in one run, as its own artifact file records it."""

    id: str
    state: str  # pass, fail, error, missing or unreadable
    artifact: CheckArtifact | None
    entry: CheckEntry | None = None  # the run summary's line, when it has one
    claim: str = ""  # set when ``state`` is the check's verdict for this one claim

    @property
    def label(self) -> str:
        label = STATUS_LABELS[self.state]
        return f"{label} for this claim" if self.claim and self.state in CHECK_STATUSES else label

    @property
    def css(self) -> str:
        return STATUS_CSS.get(self.state, self.state)

    @property
    def judges_claims(self) -> bool:
        """The check gave each claim its own verdict."""
        return self.artifact is not None and bool(self.artifact.claims)

    def for_claim(self, claim_id: str) -> CheckState:
        """This check as one claim sees it: its own verdict when the check gave one."""
        if self.artifact is None or not self.artifact.claims:
            return self
        own = status_for(claim_id, self.state, self.artifact.claims)
        return replace(self, state=own, claim=claim_id)

    @property
    def title(self) -> str:
        source = self.artifact or self.entry
        return source.title if source else ""

    @property
    def kind(self) -> str:
        source = self.artifact or self.entry
        return source.kind if source else ""

    @property
    def summary(self) -> str:
        source = self.artifact or self.entry
        return source.summary if source else ""

    @property
    def summary_disagrees(self) -> bool:
        """The run summary lists another status than the artifact: worth a reader's notice."""
        overall = self.artifact.status if self.claim and self.artifact else self.state
        return self.entry is not None and self.entry.status != overall


@dataclass(frozen=True)
class ClaimRow:
    """A claim, its verdict and the state of each check behind it."""

    verdict: Verdict
    checks: tuple[CheckState, ...]  # each as this claim sees it (CheckState.for_claim)
    attacks: tuple[Attack, ...] = ()  # the catalogue's attacks that prove this claim

    @property
    def claim(self) -> Claim:
        return self.verdict.claim

    @property
    def label(self) -> str:
        return "Proven" if self.verdict.proven else "Unproven"


@dataclass(frozen=True)
class Report:
    """Everything the evidence pages show about one run (or about no run)."""

    ref: str
    summary: RunSummary | None
    claims: tuple[ClaimRow, ...]
    checks: tuple[CheckState, ...]
    claims_error: str = ""
    attacks: tuple[AttackRow, ...] = ()
    attacks_error: str = ""

    @property
    def refused_count(self) -> int:
        return sum(1 for row in self.attacks if row.state == "refused")

    @property
    def proven_count(self) -> int:
        return sum(1 for row in self.claims if row.verdict.proven)

    @property
    def claims_total(self) -> int:
        return len(self.claims)

    @property
    def summary_disagrees(self) -> bool:
        """The runner's own proven count differs from the one the artifacts support."""
        if self.summary is None or self.claims_error:
            return False
        return self.summary.completeness["claims_proven"] != self.proven_count


@dataclass(frozen=True)
class AttackRow:
    """A catalogued attack and what a run found: its verdict and each test's outcome."""

    attack: Attack
    state: str  # a key of ATTACK_LABELS
    tests: tuple[tuple[TestRef, str], ...]  # each test and its outcome ("" if not run)

    @property
    def label(self) -> str:
        return ATTACK_LABELS[self.state][0]

    @property
    def css(self) -> str:
        return ATTACK_LABELS[self.state][1]


def _attack_results(artifact: CheckArtifact | None, ref: str) -> dict[str, Any]:
    """The per-attack results in attacks_refused's artifact, or nothing when unusable."""
    if artifact is None:
        return {}
    data = _read_bytes(ref, f"checks/{ATTACKS_CHECK}.json")
    try:
        found = _parse_json(data or b"").get("details", {}).get("attacks", {})
    except (Malformed, AttributeError):
        return {}
    return found if isinstance(found, dict) else {}


def _attack_row(attack: Attack, found: Any) -> AttackRow:
    """The run's verdict counts only if it judged exactly the tests the catalogue lists."""
    tests = found.get("tests") if isinstance(found, dict) else None
    verdict = found.get("verdict") if isinstance(found, dict) else None
    listed = [str(test) for test in attack.tests]
    if (
        not isinstance(tests, dict)
        or sorted(tests) != sorted(listed)
        or not all(isinstance(outcome, str) for outcome in tests.values())
        or verdict not in ATTACK_LABELS
    ):
        return AttackRow(attack, "not run", tuple((test, "") for test in attack.tests))
    return AttackRow(attack, verdict, tuple((test, tests[str(test)]) for test in attack.tests))


def _attacks(
    claims: list[Claim], states: Mapping[str, CheckState], ref: str
) -> tuple[list[Attack], tuple[AttackRow, ...], str]:
    try:
        catalogue = load_attacks(claims=claims or None)
    except CatalogueError as error:
        return [], (), f"The attack catalogue cannot be read ({error})."
    state = states.get(ATTACKS_CHECK)
    found = _attack_results(state.artifact if state else None, ref)
    rows = tuple(_attack_row(attack, found.get(attack.id)) for attack in catalogue)
    return catalogue, rows, ""


NO_RUN_REASON = "no evidence run has been published yet"


def _claims() -> tuple[list[Claim], str]:
    try:
        return load_claims(), ""
    except ClaimsFileError as error:
        return [], f"The claims file cannot be read ({error}); no claim counts as proven."


def _verdict(claim: Claim, states: Mapping[str, CheckState], has_run: bool) -> Verdict:
    if claim.checks and not has_run:
        return Verdict(claim, False, NO_RUN_REASON)
    found = {check: states[check] for check in claim.checks}
    artifacts = {check: state.artifact for check, state in found.items() if state.artifact}
    statuses = {check: found[check].state for check in artifacts}
    verdicts = {check: artifact.claims for check, artifact in artifacts.items()}
    return judge(claim, statuses, verdicts)


def report(ref: str = LATEST) -> Report:
    """The claims matrix and checks of a run, every verdict taken from check artifacts."""
    claims, error = _claims()
    summary = read_summary(ref)
    listed = list(summary.checks) if summary else []
    check_ids = list(dict.fromkeys([*all_check_ids(claims), *listed]))
    states = {check_id: _state(ref, check_id, summary) for check_id in check_ids}
    catalogue, attack_rows, attacks_error = _attacks(claims, states, ref)
    rows = tuple(
        ClaimRow(
            _verdict(claim, states, summary is not None),
            tuple(states[check].for_claim(claim.id) for check in claim.checks),
            tuple(attack for attack in catalogue if attack.claim == claim.id),
        )
        for claim in claims
    )
    return Report(ref, summary, rows, tuple(states.values()), error, attack_rows, attacks_error)


def _state(ref: str, check_id: str, summary: RunSummary | None) -> CheckState:
    """Artifacts count only inside a run that has a valid summary."""
    if summary is None:
        return CheckState(check_id, "missing", None)
    state, artifact = _load_artifact(ref, check_id)
    return CheckState(check_id, state, artifact, summary.checks.get(check_id))


# ---- A check's own page ------------------------------------------------------


@dataclass(frozen=True)
class CheckPage:
    """What the page for one check shows: its code, its claims, its latest result."""

    id: str
    title: str
    kind: str
    source: str | None
    claims: tuple[ClaimRow, ...]
    latest: CheckState | None

    @property
    def source_file(self) -> str:
        return registry.relative_source(self.id)


def check_page(check_id: str) -> CheckPage | None:
    """None for an id that no claim, run or check module knows (the page is then a 404).

    The check's title and kind come from the latest run's pages.json, written
    when the run was (evidence.prebuilt); its code is read as text, never parsed.
    """
    if not is_check_id(check_id):
        return None
    latest = report(LATEST)
    state = next((item for item in latest.checks if item.id == check_id), None)
    built = prebuilt_check(LATEST, check_id)
    source = registry.check_source(check_id)
    if state is None and source is None:
        return None
    return CheckPage(
        id=check_id,
        title=(built.title if built else "") or (state.title if state else ""),
        kind=(built.kind if built else "") or (state.kind if state else ""),
        source=source,
        claims=tuple(row for row in latest.claims if check_id in row.claim.checks),
        latest=state if latest.summary is not None else None,
    )


# ---- What the runner rendered for the pages (pages.json) ---------------------


def _pages(ref: str) -> dict[str, Any]:
    """A run's pages.json, or nothing when it is missing or malformed."""
    try:
        found = _parse_json(_read_bytes(ref, PAGES_FILE) or b"")
    except Malformed:
        return {}
    return found if isinstance(found, dict) else {}


def prebuilt_check(ref: str, check_id: str) -> Declared | None:
    """A check's title and kind as the run rendered them."""
    checks = _pages(ref).get("checks")
    found = checks.get(check_id) if isinstance(checks, dict) else None
    if not isinstance(found, dict):
        return None
    try:
        return Declared(_field(found, "title", str), _field(found, "kind", str))
    except Malformed:
        return None


def reviewer_pack_blocks(ref: str) -> list[Block] | None:
    """The run's reviewer pack as the runner rendered it, or None when there is none."""
    blocks = _pages(ref).get("reviewer_pack")
    if not isinstance(blocks, list):
        return None
    try:
        return [_block(block) for block in blocks]
    except (Malformed, AttributeError, TypeError):
        return None


def _block(raw: Any) -> Block:
    items = _field(raw, "items", list)
    return Block(
        kind=_choice(raw, "kind", BLOCK_KINDS),
        spans=_spans(_field(raw, "spans", list)),
        items=tuple(_spans(item) for item in items),
        text=_field(raw, "text", str),
        level=_field(raw, "level", int),
    )


def _spans(raw: Any) -> tuple[Span, ...]:
    if not isinstance(raw, list):
        raise Malformed("spans must be a list")
    return tuple(
        Span(_field(span, "text", str), span.get("code") is True, span.get("strong") is True)
        for span in raw
    )
