"""The public pages say what the product is, its limits, and how to report problems."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

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
    assert "TLA+" not in html
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
        "The relay is itself the mix",
        "We claim that the server deletes its shard",
    ):
        assert text in html


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
    """The entry script and every module it imports carry SRI, and nothing is inline."""
    from atopos_site.sri import integrity, module_graph

    response = client.get("/r/", HTTP_HOST="alpha.localhost")
    html = response.content.decode()
    graph = module_graph("js/room-page.js")
    assert {"js/crypto.js", "js/session.js", "js/ui/qr.js"} <= set(graph)
    assert any(path.startswith("vendor/noble-") for path in graph)
    for path in graph:
        assert (
            f'<link rel="modulepreload" href="/static/{path}" integrity="{integrity(path)}"' in html
        )
    assert f'src="/static/js/room-page.js" integrity="{integrity("js/room-page.js")}"' in html
    assert "<script>" not in html
    assert "no-store" in response["Cache-Control"]


def test_room_page_offers_lifetimes_within_the_tenant_policy(client, alpha):
    """Alpha's maximum is two hours: nothing longer is offered, the default is its own."""
    html = client.get("/r/", HTTP_HOST="alpha.localhost").content.decode()
    assert 'data-lifetimes="900:15 minutes,3600:1 hour,7200:2 hours"' in html
    assert 'data-default-lifetime="3600"' in html
