"""The build and re-run checks: each passes on the project and fails on a seeded violation.

A seeded run points the check at a temporary copy of the parts of the tree it
reads, with one thing broken, and asserts the exact reasons it gives. Every
run here starts real node and pytest processes, hence the integration mark
(``make test-fast`` leaves them out). The reports they read are tested in
test_collectors.py.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
from pathlib import Path

import pytest

from evidence.check import Status
from tests.claims import test_vendor_bundle_reproducible as vendor_bundle_reproducible
from tests.claims.support import sri as _sri
from tests.claims.support import suites as _suites
from tests.claims.support.context import PROJECT_ROOT, Context
from tests.claims.support.suites import Case, Outcome

SUITE_PARTS = [
    "atopos_protocol",
    "atopos_client",
    "atopos_site",
    "rooms",
    "governance",
    "tests",
    "static",
    "pyproject.toml",
]
SITE_PARTS = [
    "atopos_protocol",
    "atopos_client",
    "atopos_site",
    "rooms",
    "governance",
    "evidence",
    "tests/__init__.py",
    "tests/claims",  # the checks, and the renderer they run in a subprocess
    "templates",
    "static",
    "manage.py",
]
# The attack catalogue and the claims it proves, read from the examined tree.
CATALOGUE_PARTS = ["evidence/attacks.toml", "evidence/claims.toml"]
# The site behind the shipped nginx template (the proxy attack of C17).
PROXY_PARTS = ["deploy", "templates", "manage.py"]
VENDOR_PARTS = ["package.json", "package-lock.json", "tools/vendor", "static/vendor"]
needs_node = pytest.mark.skipif(
    not shutil.which("node") or not shutil.which("npm"), reason="needs node and npm"
)


def seeded_tree(tmp_path: Path, parts: list[str]) -> Path:
    """A copy of ``parts`` of the project, to break one thing in."""
    root = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", ".pytest_cache")
    for part in parts:
        source, target = PROJECT_ROOT / part, root / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore, symlinks=True)
        else:
            shutil.copy2(source, target)
    return root


def run_check(check_id: str, root: Path, tmp_path: Path):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return importlib.import_module(f"tests.claims.test_{check_id}").run(
        Context(root=root, work=work)
    )


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def edit_vectors(path: Path, change) -> None:
    """Change a vector file the way a hand edit would, keeping the generator's formatting."""
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --- the real project -------------------------------------------------------------------


# --- vendor_bundle_reproducible ---------------------------------------------------------


@pytest.mark.integration
@needs_node
def test_vendor_a_tampered_vendored_file_fails_naming_it(tmp_path):
    root = seeded_tree(tmp_path, [*VENDOR_PARTS, "node_modules"])
    tampered = sorted((root / "static" / "vendor").iterdir())[-1]
    data = bytearray(tampered.read_bytes())
    data[len(data) // 2] ^= 1
    tampered.write_bytes(bytes(data))
    result = run_check("vendor_bundle_reproducible", root, tmp_path)
    assert result.status is Status.FAIL
    assert result.reasons == [f"static/vendor/{tampered.name}: differs from a fresh build"]
    assert result.details["differ"] == [f"static/vendor/{tampered.name}"]
    hashes = result.details["files"][tampered.name]
    assert hashes["committed"] != hashes["rebuilt"]
    assert result.details["npm_ci_ran"] is False


def test_vendor_without_node_or_npm_the_check_cannot_run(tmp_path, monkeypatch):
    monkeypatch.setattr(vendor_bundle_reproducible.shutil, "which", lambda name: None)
    result = run_check("vendor_bundle_reproducible", PROJECT_ROOT, tmp_path)
    assert result.status is Status.ERROR
    assert result.reasons == ["node and npm are needed to rebuild the vendored bundle"]


def test_vendor_node_modules_not_matching_the_lock_are_stale(tmp_path):
    lock = {
        "packages": {
            "": {"name": "x"},
            "node_modules/a": {"version": "1.0.0"},
            "node_modules/@s/b": {"version": "2.0.0"},
            "node_modules/c": {"version": "3.0.0"},
            "node_modules/other-platform": {"version": "1.0.0", "optional": True},
        }
    }
    (tmp_path / "package-lock.json").write_text(json.dumps(lock))
    for name, version in (("a", "1.0.0"), ("@s/b", "2.0.1")):
        (tmp_path / "node_modules" / name).mkdir(parents=True)
        (tmp_path / "node_modules" / name / "package.json").write_text(
            json.dumps({"version": version})
        )
    assert vendor_bundle_reproducible.stale_packages(tmp_path) == ["@s/b", "c"]


# --- sri_hashes_match -------------------------------------------------------------------


@pytest.mark.integration
def test_sri_a_tampered_static_module_fails(tmp_path):
    root = seeded_tree(tmp_path, ["templates", "static"])
    module = root / "static" / "js" / "protocol" / "crypto.js"
    module.write_bytes(module.read_bytes() + b"\n// tampered\n")
    result = run_check("sri_hashes_match", root, tmp_path)
    assert result.status is Status.FAIL
    assert result.reasons == [
        "templates/pages/room.html: /static/js/ui/room-page.js imports "
        "/static/js/protocol/crypto.js with an import map integrity that does not match it",
        "templates/pages/room.html: the import map's hash of /static/js/protocol/crypto.js "
        "does not match",
        "templates/pages/room.html: the integrity of /static/js/protocol/crypto.js does not match",
    ]
    assert result.details["imports_without_integrity"] == {
        "templates/pages/room.html /static/js/ui/room-page.js": ["/static/js/protocol/crypto.js"]
    }


@pytest.mark.integration
def test_sri_a_script_without_integrity_fails(tmp_path):
    root = seeded_tree(tmp_path, ["templates", "static"])
    replace_once(
        root / "templates" / "pages" / "home.html",
        '{% extends "base.html" %}\n',
        '{% extends "base.html" %}{% load static %}\n'
        "{% block head %}<script src=\"{% static 'js/bytes.js' %}\"></script>{% endblock %}\n",
    )
    result = run_check("sri_hashes_match", root, tmp_path)
    assert result.status is Status.FAIL
    assert result.reasons == [
        "templates/pages/home.html: <script> for /static/js/bytes.js has no integrity",
        "templates/pages/home.html:2: a <script> tag without integrity",
    ]


@pytest.mark.integration
def test_sri_an_inline_script_in_a_template_fails(tmp_path):
    """Only {% module_script %} writes an inline element (the import map), with its CSP hash."""
    root = seeded_tree(tmp_path, ["templates", "static"])
    replace_once(
        root / "templates" / "pages" / "home.html",
        '{% extends "base.html" %}\n',
        '{% extends "base.html" %}\n'
        '{% block head %}<script type="importmap">{"imports": {}}</script>{% endblock %}\n',
    )
    result = run_check("sri_hashes_match", root, tmp_path)
    assert result.status is Status.FAIL
    assert result.reasons == [
        "templates/pages/home.html: the CSP does not admit the import map's hash",
        "templates/pages/home.html:2: a <script> tag without integrity",
    ]


@needs_node
def test_sri_the_import_reader_follows_side_effect_and_dynamic_imports(tmp_path):
    """The check reads imports with a parser of its own: it sees every import form."""
    (tmp_path / "js").mkdir()
    (tmp_path / "vendor").mkdir()
    (tmp_path / "js" / "a.js").write_text("import './b.js';\n// import './not-a-file.js';\n")
    (tmp_path / "js" / "b.js").write_text("export const c = () => import('../vendor/c.js');\n")
    (tmp_path / "vendor" / "c.js").write_text("export * from '/static/js/d.js';\n")
    (tmp_path / "js" / "d.js").write_text("export const d = 1;\n")
    assert _sri.module_imports("js/a.js", tmp_path) == {"js/b.js", "vendor/c.js", "js/d.js"}


@needs_node
def test_sri_the_import_reader_counts_computed_imports_and_ignores_strings(tmp_path):
    module = tmp_path / "m.js"
    module.write_text(
        "const m = await import(name);\nimport('./x.js');\n"
        "const s = \"import './in-a-string.js'\";\n"
    )
    assert _sri.read_modules([module]) == {module: _sri.ModuleSource(("./x.js",), 1)}


@needs_node
def test_sri_a_module_that_does_not_parse_fails_the_page(tmp_path):
    (tmp_path / "js").mkdir()
    entry = b"import './broken.js';\n"
    (tmp_path / "js" / "entry.js").write_bytes(entry)
    (tmp_path / "js" / "broken.js").write_text("import {{ from 'x';\n")
    html = f'<script type="module" src="/static/js/entry.js" integrity="{sri_of(entry)}"></script>'
    scan = _sri.Scan()
    _sri.judge_page("page.html", html, "script-src 'self'", tmp_path, scan)
    assert (
        "page.html: /static/js/broken.js "
        '(Expected identifier but found "{" (line 1)) cannot be parsed' in scan.violations
    )


def test_sri_without_node_the_import_reader_cannot_run(tmp_path, monkeypatch):
    monkeypatch.setattr(_sri.shutil, "which", lambda name: None)
    with pytest.raises(_sri.ModulesUnreadable, match="node is not installed"):
        _sri.read_modules([tmp_path / "a.js"])


def test_sri_integrity_follows_the_browsers_strongest_hash_rule():
    data = b"console.log(1);\n"
    sha384, sha512 = (_sri.digest(name, data) for name in ("sha384", "sha512"))
    assert _sri.integrity_matches(sha384, data)
    assert _sri.integrity_matches(f"sha384-AAAA {sha512}", data)
    assert not _sri.integrity_matches(f"{sha384} sha512-AAAA", data)
    assert not _sri.integrity_matches(_sri.digest("sha256", data), data)
    assert not _sri.integrity_matches("", data)


# --- sri_holds_in_production ------------------------------------------------------------


def collected_tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def sri_of(data: bytes) -> str:
    return _sri.digest("sha384", data)


def test_prod_a_hashed_entry_importing_a_plain_name_fails(tmp_path):
    """The attack on the old setup: hashed preloads, while room-page imports ./session.js.

    The browser resolves the import to the plain, collected session.js, which
    no tag or import map holds to a hash.
    """
    session, entry = b"export const s = 1;\n", b"import { s } from './session.js';\n"
    served = collected_tree(tmp_path, {
        "js/session.js": session, "js/session.0123456789ab.js": session,
        "js/room-page.js": entry, "js/room-page.ba9876543210.js": entry,
    })  # fmt: skip
    html = (
        f'<link rel="modulepreload" href="/static/js/session.0123456789ab.js" '
        f'integrity="{sri_of(session)}">'
        f'<script type="module" src="/static/js/room-page.ba9876543210.js" '
        f'integrity="{sri_of(entry)}"></script>'
    )
    scan = _sri.Scan()
    _sri.judge_page("templates/pages/room.html", html, "script-src 'self'", served, scan)
    assert scan.violations == [
        "templates/pages/room.html: /static/js/room-page.ba9876543210.js imports "
        "/static/js/session.js with no integrity check"
    ]


def test_prod_an_import_map_pinning_the_plain_names_passes(tmp_path):
    """The fix: every module under its plain URL, pinned by an import map the CSP admits."""
    session, entry = b"export const s = 1;\n", b"import { s } from './session.js';\n"
    served = collected_tree(tmp_path, {"js/session.js": session, "js/room-page.js": entry})
    import_map = json.dumps({"integrity": {"/static/js/session.js": sri_of(session)}})
    html = (
        f'<script type="importmap">{import_map}</script>'
        f'<script type="module" src="/static/js/room-page.js" integrity="{sri_of(entry)}"></script>'
    )
    csp = f"script-src 'self' '{sri_of(import_map.encode())}'"
    scan = _sri.Scan()
    _sri.judge_page("room.html", html, csp, served, scan)
    assert scan.violations == []
    assert scan.counts["modules_pinned"] == 1
    scan = _sri.Scan()
    _sri.judge_page("room.html", html, "script-src 'self'", served, scan)  # the map is refused
    assert scan.violations == [
        "room.html: the CSP does not admit the import map's hash",
        "room.html: /static/js/room-page.js imports /static/js/session.js with no integrity check",
    ]


def test_prod_a_module_pinned_only_by_a_modulepreload_fails(tmp_path):
    """Chromium refetches a module unchecked when a later import() follows a failed preload."""
    lazy, entry = b"export const q = 1;\n", b"export const show = () => import('./qr.js');\n"
    served = collected_tree(tmp_path, {"js/qr.js": lazy, "js/room-page.js": entry})
    html = (
        f'<link rel="modulepreload" href="/static/js/qr.js" integrity="{sri_of(lazy)}">'
        f'<script type="module" src="/static/js/room-page.js" integrity="{sri_of(entry)}"></script>'
    )
    scan = _sri.Scan()
    _sri.judge_page("room.html", html, "script-src 'self'", served, scan)
    assert scan.violations == [
        "room.html: /static/js/room-page.js imports /static/js/qr.js with only a modulepreload, "
        "which a later import does not have to reuse"
    ]


@pytest.mark.integration
def test_prod_the_check_fails_when_modules_take_hashed_names_again(tmp_path):
    """The fix reverted: modules named by their hashed copies, whose imports name plain files."""
    root = seeded_tree(tmp_path, SITE_PARTS)
    replace_once(
        root / "atopos_site" / "sri.py",
        "    return settings.STATIC_URL + quote(path)\n",
        "    return static(path)\n",
    )
    result = run_check("sri_holds_in_production", root, tmp_path)
    assert result.status is Status.FAIL
    imports = _sri.module_imports("js/ui/room-page.js", PROJECT_ROOT / "static")
    entry = r"/static/js/ui/room-page\.[0-9a-f]{12}\.js"
    reason = rf"templates/pages/room\.html: {entry} imports /static/(\S+) with no integrity check"
    reasons = [re.fullmatch(reason, text) for text in result.reasons]
    assert all(reasons), result.reasons
    assert {match.group(1) for match in reasons if match} == imports
    assert "js/protocol/crypto.js" in imports


@pytest.mark.integration
def test_prod_the_check_fails_when_the_csp_does_not_admit_the_import_map(tmp_path):
    """Without its hash in script-src the browser drops the map: preloads alone are left."""
    root = seeded_tree(tmp_path, SITE_PARTS)
    replace_once(
        root / "atopos_site" / "settings.py",
        '"atopos_site.inline_scripts.CSPMiddleware"',
        '"csp.middleware.CSPMiddleware"',
    )
    result = run_check("sri_holds_in_production", root, tmp_path)
    assert result.status is Status.FAIL
    imports = _sri.module_imports("js/ui/room-page.js", PROJECT_ROOT / "static")
    assert result.reasons == sorted(
        [
            "templates/pages/room.html: the CSP does not admit the import map's hash",
            *(
                "templates/pages/room.html: /static/js/ui/room-page.js imports "
                f"/static/{path} with only a modulepreload, "
                "which a later import does not have to reuse"
                for path in imports
            ),
        ]
    )


def test_prod_a_tree_without_a_site_cannot_be_checked(tmp_path):
    root = seeded_tree(tmp_path, ["templates", "static"])
    result = run_check("sri_holds_in_production", root, tmp_path)
    assert result.status is Status.ERROR
    assert result.reasons == ["the examined tree has no site (manage.py, templates) to collect"]


# --- vectors_agree ----------------------------------------------------------------------


@pytest.mark.integration
@needs_node
def test_vectors_an_altered_expected_value_fails_everywhere(tmp_path):
    root = seeded_tree(tmp_path, SUITE_PARTS)

    def alter(data):
        parsed = data["cases"][0]["parsed"]
        parsed["link_shard"] = ("0" if parsed["link_shard"][0] != "0" else "1") + parsed[
            "link_shard"
        ][1:]

    edit_vectors(root / "tests" / "vectors" / "links.json", alter)
    result = run_check("vectors_agree", root, tmp_path)
    assert result.status is Status.FAIL
    assert result.reasons == [
        "JS tests/js/protocol-vectors.test.js: failed: links > valid: parses",
        "Python tests/protocol/test_vectors_in_python.py: failed: "
        "test_links_parse_as_specified[valid]",
        "tests/vectors/links.json: differs from what the generator writes",
    ]
    assert result.counts["vector_files_reproduced"] == result.counts["vector_files"] - 1


# --- governance_properties --------------------------------------------------------------

REMOVED_MEMBER_TEST = (
    "tests/client/test_removed_member_never_holds_the_epoch.py::"
    "test_a_removed_member_never_holds_an_epoch_started_after_its_removal"
)


@pytest.mark.integration
@needs_node
def test_governance_an_altered_fork_head_and_a_renamed_property_test_fail(tmp_path):
    root = seeded_tree(tmp_path, SUITE_PARTS)

    def alter(data):
        scenario = next(item for item in data["scenarios"] if item["name"] == "mutual-kicks")
        scenario["head"] = "00" * 32

    edit_vectors(root / "tests" / "vectors" / "governance.json", alter)
    file, name = REMOVED_MEMBER_TEST.split("::")
    replace_once(root / file, f"def {name}(", "def test_renamed_so_the_invariant_goes_unproven(")
    result = run_check("governance_properties", root, tmp_path)
    assert result.status is Status.FAIL
    assert result.reasons == [
        "JS tests/js/governance-vectors.test.js: failed: governance scenarios > mutual-kicks: "
        "same accepted order, rejections, head, state and phrase",
        "Python tests/governance/test_vectors.py: failed: test_scenario_resolves_exactly"
        "[mutual-kicks]",
        f"{REMOVED_MEMBER_TEST}: the property test for a removed member never holds the "
        "current epoch secret was not collected",
    ]
    assert result.counts["invariants_with_passing_property"] == result.counts["invariants"] - 1


@pytest.mark.integration
@needs_node
def test_governance_a_client_that_takes_keys_from_hellos_again_fails(tmp_path):
    """Version 1's Python client, restored in a copy: a hello may name any key, and an admin
    answers an old-epoch hello with a key share sealed to that key (no rule refuses it). A
    relay colluding with the removed member then gets her the current epoch: the invariant's
    property test fails (and the scenario that pins the rule)."""
    root = seeded_tree(tmp_path, SUITE_PARTS)
    session = root / "atopos_client" / "session.py"
    replace_once(
        session,
        "if hello.x_pk != membership.bound_key(sender):",
        "if False:  # seeded: a hello may name any key",
    )
    replace_once(
        session,
        "membership.hello_duties(sender, epoch)",
        "membership.hello_duties(sender, epoch, hello.x_pk)",
    )
    membership = root / "atopos_client" / "membership.py"
    replace_once(
        membership,
        "def hello_duties(self, sender: bytes, sealed_in: EpochKeys) -> list[Duty]:",
        "def hello_duties(self, sender: bytes, sealed_in: EpochKeys, x_pk: bytes = b'') -> list:",
    )
    replace_once(
        membership,
        "recipient = Recipient(sender, state.x_keys[sender])",
        "recipient = Recipient(sender, x_pk or state.x_keys[sender])",
    )
    replace_once(  # the governance rule that refuses a key share to any other key
        root / "atopos_protocol" / "governance" / "state.py",
        '_require(state.x_keys.get(payload.recipient) == payload.recipient_x_pk, "wrong-key")',
        "pass  # seeded: version 1 had no such rule",
    )
    result = run_check("governance_properties", root, tmp_path)
    assert result.status is Status.FAIL
    assert result.reasons == [
        "Python tests/client/test_removed_member_never_holds_the_epoch.py: failed: "
        "test_a_removed_member_never_holds_an_epoch_started_after_its_removal",
        "Python tests/governance/test_vectors.py: failed: "
        "test_scenario_resolves_exactly[keyshare-only-to-the-bound-key]",
    ]
    assert result.counts["invariants_with_passing_property"] == result.counts["invariants"] - 1


@pytest.mark.integration
@needs_node
def test_governance_nothing_collected_is_an_error(tmp_path):
    from tests.claims import test_governance_properties as governance_properties

    root = seeded_tree(tmp_path, SUITE_PARTS)
    for path in governance_properties.PYTHON_SUITES:
        (root / path).write_text('"""Emptied."""\n', encoding="utf-8")
    for path in governance_properties.JS_SUITES:
        (root / path).write_text("// emptied\n", encoding="utf-8")
    result = run_check("governance_properties", root, tmp_path)
    assert result.status is Status.ERROR
    assert result.reasons == [
        "Python governance suite: no test was collected; JS governance suite: no test was collected"
    ]


# --- attacks_refused ----------------------------------------------------------------------


def keep_attacks_of(root: Path, claims: set[str]) -> None:
    """Cut the seeded tree's catalogue and claims down to ``claims`` and their attacks."""
    evidence = root / "evidence"
    head, *attacks = (evidence / "attacks.toml").read_text(encoding="utf-8").split(ATTACK)
    kept = [attack for attack in attacks if _field(attack, "claim") in claims]
    (evidence / "attacks.toml").write_text(ATTACK.join([head, *kept]), encoding="utf-8")
    head, *listed = (evidence / "claims.toml").read_text(encoding="utf-8").split(CLAIM)
    cut = [claim for claim in listed if _field(claim, "id") in claims]
    (evidence / "claims.toml").write_text(CLAIM.join([head, *cut]), encoding="utf-8")


ATTACK, CLAIM = "\n[[attack]]\n", "\n[[claim]]\n"


def _field(block: str, name: str) -> str:
    found = re.search(rf'^{name} = "(\w+)"$', block, re.MULTILINE)
    assert found is not None
    return found.group(1)


@pytest.mark.integration
@needs_node
def test_attacks_not_refused_or_missing_fail_their_own_claims_only(tmp_path):
    """A copy where three attacks succeed or lose their proof: both clients accept a swapped
    server shard (A15, C22), the Python replay guard is version 1's high-water mark (A06,
    C16), and the waiting-knock flood's test was renamed (A13, C17). Those three claims
    fail; every other attack is still refused and its claim keeps its pass. (The catalogue
    keeps the claims whose attacks run without a site or a browser.)"""
    root = seeded_tree(tmp_path, [*SUITE_PARTS, *CATALOGUE_PARTS, *PROXY_PARTS])
    keep_attacks_of(root, {"C14", "C15", "C16", "C17", "C20", "C22"})
    replace_once(
        root / "atopos_client" / "verification.py",
        'raise ProtocolError("shard-mismatch")',
        "pass  # seeded: no shard check",
    )
    replace_once(
        root / "static" / "js" / "client" / "verification.js",
        "throw new ProtocolError('shard-mismatch');",
        "// seeded: no shard check",
    )
    replace_once(
        root / "atopos_client" / "replay.py",
        "if not time_ms <= seq <= time_ms + SEQ_LEAD_MS:\n"
        '            raise ProtocolError("bad-seq")',
        "high = self.__dict__.setdefault('high', {})  # seeded: version 1's guard\n"
        "        if seq <= high.get(plaintext.sender, -1):\n"
        '            raise ProtocolError("replay")\n'
        "        high[plaintext.sender] = seq",
    )
    replace_once(
        root / "tests" / "attacks" / "test_floods.py",
        "def test_a_room_keeps_a_bounded_number_of_newcomers_waiting(",
        "def test_a_room_keeps_newcomers_waiting(",
    )
    result = run_check("attacks_refused", root, tmp_path)
    assert result.status is Status.FAIL
    assert result.claims == {
        "C14": "pass", "C15": "pass", "C16": "fail", "C17": "fail", "C20": "pass", "C22": "fail",
    }  # fmt: skip
    verdicts = {key: value["verdict"] for key, value in result.details["attacks"].items()}
    assert {key for key, verdict in verdicts.items() if verdict != "refused"} == {
        "A06", "A13", "A15",
    }  # fmt: skip
    assert (verdicts["A06"], verdicts["A13"], verdicts["A15"]) == (
        "not refused", "missing", "not refused",
    )  # fmt: skip
    assert result.reasons == [
        # (a seq of 2^53 - 1 no longer reaches the guard: a text's id must lie within
        # a minute of its time, so the message-id check refuses that forgery first)
        "A06 not refused: "
        "tests/attacks/test_forged_sequence_number.py::"
        "test_a_forged_plausible_sequence_number_burns_one_slot_only (failed); "
        "tests/protocol/test_envelope_properties.py::"
        "test_a_forged_sequence_number_never_mutes_its_sender (failed); "
        "tests/protocol/test_vectors_in_python.py::"
        "test_invalid_envelopes_fail_with_the_expected_error[sequence-far-ahead-of-time] (failed)",
        "A13 missing: tests/attacks/test_floods.py::"
        "test_a_room_keeps_a_bounded_number_of_newcomers_waiting (missing)",
        "A15 not refused: "
        "tests/protocol/test_vectors_in_python.py::"
        "test_genesis_checks_against_the_link[relay-swapped-shard] (failed); "
        "tests/js/protocol-vectors.test.js::"
        "genesis checks against the link > relay-swapped-shard: shard-mismatch (failed); "
        "tests/js/session.test.js::a welcome with a swapped server shard is refused (failed)",
    ]
    assert result.counts["refused"] == result.counts["attacks"] - 3


# --- the report parsers -----------------------------------------------------------------


def test_a_run_that_times_out_names_the_test_that_hung(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p evidence.pytest_plugin\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_hang.py").write_text(
        "import time\n\n"
        "def test_quick():\n    pass\n\n"
        "def test_waits_for_a_cancel_that_never_lands():\n    time.sleep(120)\n"
    )
    suite = _suites.run_pytest(tmp_path, tmp_path / "work", ["tests/test_hang.py"], "hang", 8)
    assert suite.problem == (
        "pytest did not finish within 8s (tests/test_hang.py::"
        "test_waits_for_a_cancel_that_never_lands had not finished)"
    )


def test_a_suite_that_ran_nothing_or_only_skipped_is_no_evidence():
    skipped = _suites.SuiteCounts("node", (Case("f", "t", Outcome.SKIPPED),))
    assert _suites.suite_problems("JS", _suites.SuiteCounts("node")) == [
        "JS: no test was collected"
    ]
    assert _suites.suite_problems("JS", skipped) == ["JS: every test was skipped"]


# --- rule_deletions_caught ----------------------------------------------------------------

SEEDED_RULES = """
[[rule]]
id = "R01"
rule = "CREATE compares the genesis origin with the connection's"
file = "rooms/admission.py"
code = "if body.origin != origin or not genesis.signatures_valid():"
deleted = "if not genesis.signatures_valid():"
tests = [
  "tests/rooms/test_create_policy.py::test_mallorys_genesis_for_another_site_is_refused_with_a_proof_for_this_one",
]

[[rule]]
id = "R02"
rule = "The same rule, listed with a test that never looks at origins"
file = "rooms/admission.py"
code = "if body.origin != origin or not genesis.signatures_valid():"
deleted = "if not genesis.signatures_valid():"
tests = [
  "tests/rooms/test_create_policy.py::test_routing_mode_the_tenant_does_not_allow_is_refused",
]

[[rule]]
id = "R03"
rule = "A rule whose code the file no longer holds"
file = "rooms/admission.py"
code = "if body.origin != origin:"
deleted = ""
tests = ["tests/rooms/test_create_policy.py::test_genesis_for_another_origin_is_refused"]

[[rule]]
id = "R04"
rule = "A deletion that breaks the module instead of the rule"
file = "rooms/admission.py"
code = "def check_create("
deleted = "def check_create(("
tests = ["tests/rooms/test_create_policy.py::test_genesis_for_another_origin_is_refused"]
"""


@pytest.mark.integration
def test_a_rule_deletion_no_listed_test_notices_fails_the_check(tmp_path):
    """Four rules on a copy of the tree: the origin comparison with the test that performs the
    attack is caught; the same deletion listed with an unrelated test is not; a rule whose code
    is gone is stale; a deletion that breaks the module proves nothing. Only R01 passes."""
    root = seeded_tree(tmp_path, [*SUITE_PARTS, "evidence/rules.toml"])
    (root / "evidence" / "rules.toml").write_text(SEEDED_RULES, encoding="utf-8")
    result = run_check("rule_deletions_caught", root, tmp_path)
    assert result.status is Status.FAIL
    verdicts = {key: value["verdict"] for key, value in result.details["rules"].items()}
    assert verdicts == {"R01": "caught", "R02": "not caught", "R03": "stale", "R04": "broken"}
    assert [reason.split(" (")[0] for reason in result.reasons] == [
        "R02 not caught", "R03 stale", "R04 broken",
    ]  # fmt: skip
    assert (root / "rooms" / "admission.py").read_text(encoding="utf-8") == (
        PROJECT_ROOT / "rooms" / "admission.py"
    ).read_text(encoding="utf-8")  # the examined tree is never edited


def test_the_rules_catalogue_loads_and_names_existing_code():
    """Every rule's code occurs exactly once in its file, every test file exists, and what the
    check publishes of a rule passes the publish-safe scan."""
    from evidence.publish_safe import scan_text
    from evidence.rules import load_rules

    rules = load_rules()
    for rule in rules:
        source = (PROJECT_ROOT / rule.file).read_text(encoding="utf-8")
        assert source.count(rule.code) == 1, rule.id
        assert all((PROJECT_ROOT / test.file).is_file() for test in rule.tests), rule.id
        published = " ".join([rule.rule, rule.file, *map(str, rule.tests)])
        assert scan_text("checks/rule_deletions_caught.json", published) == [], rule.id


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('[[rule]]\nid = "X1"\n', "must look like R01"),
        (
            SEEDED_RULES.replace('file = "rooms/admission.py"', 'file = "../etc/x.py"', 1),
            "source file",
        ),
        (
            SEEDED_RULES.replace(
                'deleted = "if not', 'deleted = "if body.origin != origin or not', 1
            ),
            "must differ",
        ),
        (SEEDED_RULES.replace('id = "R02"', 'id = "R01"'), "unique"),
        (SEEDED_RULES.replace('tests = ["tests/rooms', 'tests = ["rooms', 1), "must be tests/"),
    ],
)
def test_a_malformed_rules_catalogue_is_refused(tmp_path, text, error):
    from evidence.rules import RulesError, load_rules

    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match=error):
        load_rules(path)
