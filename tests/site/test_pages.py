"""The public pages say what the product is, its limits, and how to report problems."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from atopos_client.extra_lock import DEFAULT_LOCK_PARAMS
from atopos_site.text import describe_duration


def page(client: Client, path: str) -> str:
    response = client.get(path, HTTP_HOST="alpha.localhost")
    assert response.status_code == 200
    return response.content.decode()


def test_home_offers_room_creation_and_names_the_tenant(client, alpha):
    """The landing page has the 'Create a room' button and the tenant's own name."""
    html = page(client, "/")
    assert '<a class="button button--primary" href="/r/">Create a room</a>' in html
    assert "<title>Private rooms that vanish · Alpha Chat</title>" in html


def test_security_page_keeps_the_honest_limits(client, alpha):
    """The security page lists what is not protected and how claims are proven."""
    html = page(client, "/security/")
    for text in (
        "Endpoint compromise",
        "Screenshots or copying",
        "Malicious participants",
        "An operator who changes the code",
        "Verified security claims",
        'href="/security/evidence/"',
    ):
        assert text in html


def test_security_page_makes_no_claim_without_evidence(client, alpha, settings, tmp_path):
    """Counts of proven claims or tests appear only once evidence exists to back them."""
    settings.ATOPOS_EVIDENCE_DIR = tmp_path
    html = page(client, "/security/")
    assert "No evidence run has been published here yet" in html
    assert "Proven</span>" not in html
    assert not re.search(r"\d+ proven claims", html)
    # Claim C29 is listed (as unproven), but the page's TLA+ line waits for a run.
    assert "TLA+ formal verification" not in html
    assert "1,900" not in html


def test_evidence_page_shows_every_claim_as_unproven_until_a_run_exists(
    client, alpha, settings, tmp_path
):
    """With no published evidence run, nothing is presented as proven."""
    # An empty directory: a run the runner left in evidence/ must not change this test.
    settings.ATOPOS_EVIDENCE_DIR = tmp_path
    html = page(client, "/security/evidence/")
    assert "No evidence run has been published here yet" in html
    assert "<strong>unproven</strong>" in html


def test_threat_model_keeps_what_we_do_not_claim(client, alpha):
    """The plain-English threat model keeps its limits and the web-delivery caveat."""
    html = page(client, "/threat-model/")
    for text in (
        "What Atopos cannot protect against",
        "What we deliberately do not claim",
        "Perfect anonymity",
        "The honest limit of encryption in a web page",
        "the relay will itself be the mix",
        "We claim that the server deletes its shard",
    ):
        assert text in html


def test_threat_model_promises_only_what_exists(client, alpha):
    """Mix mode is not built: the page says "coming"; Tor Browser works at the Safer level,
    and the page does not claim the Safest one (JavaScript off there)."""
    html = page(client, "/threat-model/")
    assert "<em>Coming:</em> mix mode" in html
    assert "<em>Coming:</em> Extra Lock" not in html
    assert "<strong>Safer</strong> security level" in html
    assert "<strong>Safer</strong> security level" in html
    assert "safest setting" not in html
    assert "Mix mode pads every message" not in html


def test_threat_model_states_extra_locks_cost_and_limits(client, alpha):
    """The Argon2id cost the page quotes is what a new room asks for, and the page says
    what Extra Lock cannot do (guessable passphrases, the guess budget as a lever, the
    operator holding the link, no offline check)."""
    html = page(client, "/threat-model/")
    params = DEFAULT_LOCK_PARAMS
    assert f"({params.memory_kib // 1024} MiB of memory, {params.passes} pass)" in html
    for limit in (
        "a short or common passphrase can still be guessed",
        "keep newcomers out, 10 minutes at a time",
        "not against the link and the server together",
        "Only the server's answer tells you a passphrase is wrong",
    ):
        assert limit in html


def test_disclosure_page_gives_the_configured_contact(client, alpha, settings):
    """The contact from ATOPOS_SECURITY_CONTACT appears as a link."""
    settings.ATOPOS_SECURITY_CONTACT = "mailto:security@alpha.example"
    html = page(client, "/disclosure/")
    assert '<a href="mailto:security@alpha.example">security@alpha.example</a>' in html


def test_security_txt_follows_rfc_9116(client, alpha, settings):
    """Contact, a future Expires under a year away, Policy and Canonical for this host."""
    settings.ATOPOS_SECURITY_CONTACT = "https://alpha.example/security"
    response = client.get("/.well-known/security.txt", HTTP_HOST="alpha.localhost")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    fields = dict(line.split(": ", 1) for line in response.content.decode().splitlines())
    assert fields["Contact"] == "https://alpha.example/security"
    assert fields["Policy"] == "http://alpha.localhost/disclosure/"
    assert fields["Canonical"] == "http://alpha.localhost/.well-known/security.txt"
    expires = dt.datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    now = dt.datetime.now(dt.UTC)
    assert now + dt.timedelta(days=30) < expires < now + dt.timedelta(days=365)


def test_pages_refuse_to_be_posted_to(client, alpha):
    """Public pages are read-only."""
    response = client.post("/security/", HTTP_HOST="alpha.localhost")
    assert response.status_code == 405


def test_admin_is_absent_unless_a_path_is_configured(client, alpha):
    """With ATOPOS_ADMIN_PATH unset, no admin route exists."""
    assert client.get("/admin/", HTTP_HOST="alpha.localhost").status_code == 404


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(7200, "2 hours"), (5400, "1 hour 30 minutes"), (86400, "1 day"), (90061, "1 day 1 hour")],
)
def test_durations_are_described_in_words(seconds, words):
    """Policy lifetimes read naturally on the home page."""
    assert describe_duration(seconds) == words


def test_room_page_loads_every_module_with_integrity(client, alpha):
    """The entry script and every module it imports carry SRI under their plain URLs."""
    from atopos_site.sri import integrity, module_graph

    response = client.get("/r/", HTTP_HOST="alpha.localhost")
    html = response.content.decode()
    graph = module_graph("js/ui/room-page.js")
    assert {"js/protocol/crypto.js", "js/client/session.js", "js/ui/qr.js"} <= set(graph)
    assert any(path.startswith("vendor/noble-") for path in graph)
    for path in graph:
        assert (
            f'<link rel="modulepreload" href="/static/{path}" integrity="{integrity(path)}"' in html
        )
    assert f'src="/static/js/ui/room-page.js" integrity="{integrity("js/ui/room-page.js")}"' in html
    assert "<script>" not in html
    assert "no-store" in response["Cache-Control"]


def test_room_page_import_map_pins_every_shipped_module(client, alpha, settings):
    """Whatever a module imports, statically or not, the import map holds it to its hash."""
    from atopos_site.sri import integrity

    html = client.get("/r/", HTTP_HOST="alpha.localhost").content.decode()
    maps = re.findall(r'<script type="importmap">(.*?)</script>', html, re.S)
    assert len(maps) == 1
    pinned = json.loads(maps[0])["integrity"]
    shipped = sorted(
        path.relative_to(settings.BASE_DIR / "static").as_posix()
        for path in (settings.BASE_DIR / "static").rglob("*.js")
    )
    assert sorted(pinned) == [f"/static/{path}" for path in shipped]
    assert all(pinned[f"/static/{path}"] == integrity(path) for path in shipped)
    assert list(json.loads(maps[0])) == ["integrity"]  # no remapping: every URL stays plain


def test_a_module_only_a_computed_import_reaches_is_pinned_too(tmp_path, settings):
    """No literal specifier names js/plugin.js (the entry builds its URL at run time), yet the
    import map holds it to the release's hash: a copy Mallory swapped into the static files
    is refused by the browser like any other module."""
    from atopos_site import sri

    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "entry.js").write_text(
        "const name = 'plugin';\nexport const load = () => import(`./${name}.js`);\n"
    )
    (tmp_path / "js" / "plugin.js").write_text("export const plugin = 1;\n")
    settings.STATICFILES_DIRS = [tmp_path]
    finders.get_finder.cache_clear()
    try:
        assert sri.module_graph("js/entry.js") == []
        pinned = json.loads(sri.import_map("js/entry.js"))["integrity"]
        assert pinned["/static/js/plugin.js"] == sri.integrity("js/plugin.js")
    finally:
        finders.get_finder.cache_clear()


def test_module_graph_follows_every_import_form(tmp_path, settings):
    """Multi-line, re-export, side-effect and literal dynamic imports; comments are not imports."""
    from atopos_site import sri

    (tmp_path / "js" / "sub").mkdir(parents=True)
    (tmp_path / "vendor").mkdir()
    files = {
        "js/entry.js": "import {\n  a,\n  b,\n} from './a.js';\nimport './side.js';\n"
        "// import './commented.js';\n/* import './blocked.js'; */\n"
        "export const later = () => import('./sub/late.js');\n",
        "js/a.js": "export * from './sub/re.js';\nexport { x as y } from \"../vendor/v.js\";\n",
        "js/side.js": "import '/static/js/absolute.js';\n",
        "js/sub/late.js": "export const late = 1;\n",
        "js/sub/re.js": "import * as all from '../cycle.js';\nexport const a = 1, b = 2;\n",
        "js/cycle.js": "import { a } from './sub/re.js';\nexport const c = a;\n",
        "js/absolute.js": "export {};\n",
        "js/commented.js": "export {};\n",
        "js/blocked.js": "export {};\n",
        "vendor/v.js": "export const x = 1;\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    settings.STATICFILES_DIRS = [tmp_path]
    finders.get_finder.cache_clear()
    try:
        assert sri.module_graph("js/entry.js") == [
            "js/a.js", "js/absolute.js", "js/cycle.js", "js/side.js",
            "js/sub/late.js", "js/sub/re.js", "vendor/v.js",
        ]  # fmt: skip
    finally:
        finders.get_finder.cache_clear()


def test_room_page_offers_lifetimes_within_the_tenant_policy(client, alpha):
    """Alpha's maximum is two hours: nothing longer is offered, the default is its own."""
    html = client.get("/r/", HTTP_HOST="alpha.localhost").content.decode()
    assert 'data-lifetimes="900:15 minutes,3600:1 hour,7200:2 hours"' in html
    assert 'data-default-lifetime="3600"' in html


def test_a_page_holds_one_module_entry_with_its_request(rf):
    """Firefox takes only the first import map; the CSP hash needs the request: both enforced."""
    from django.core.exceptions import ImproperlyConfigured
    from django.template import Context, Template

    twice = Template(
        '{% load sri %}{% module_script "js/ui/room-page.js" %}'
        '{% module_script "js/ui/room-page.js" %}'
    )
    with pytest.raises(ImproperlyConfigured, match="once per page"):
        twice.render(Context({"request": rf.get("/r/")}))
    once = Template('{% load sri %}{% module_script "js/ui/room-page.js" %}')
    with pytest.raises(ImproperlyConfigured, match="needs the request"):
        once.render(Context({}))
