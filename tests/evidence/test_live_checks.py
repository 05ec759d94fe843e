"""The storage and runtime checks: each fails on a seeded violation, and all pass on a real run."""

from __future__ import annotations

import base64
import hashlib
import os

from atopos_protocol import VERSION
from atopos_protocol.frames import Kind
from tests.claims import test_browser_fragment_never_sent as browser_fragment_never_sent
from tests.claims import test_database_schema_scan as database_schema_scan
from tests.claims import test_ended_room_cannot_be_decrypted as ended_room_cannot_be_decrypted
from tests.claims import test_ended_room_indistinguishable as ended_room_indistinguishable
from tests.claims import test_ended_room_leaves_nothing as ended_room_leaves_nothing
from tests.claims import test_frame_sizes_are_buckets as frame_sizes_are_buckets
from tests.claims import test_keyspace_holds_no_secrets as keyspace_holds_no_secrets
from tests.claims import test_keyspace_ttls_bounded as keyspace_ttls_bounded
from tests.claims import test_link_alone_gets_nothing as link_alone_gets_nothing
from tests.claims import test_local_storage_emptied as local_storage_emptied
from tests.claims import test_logs_hold_no_secrets as logs_hold_no_secrets
from tests.claims import test_pages_load_nothing_foreign as pages_load_nothing_foreign
from tests.claims import test_passphrase_never_sent as passphrase_never_sent
from tests.claims import test_security_headers_every_route as security_headers_every_route
from tests.claims import test_served_client_matches_build as served_client_matches_build
from tests.claims import test_wire_carries_ciphertext_only as wire_carries_ciphertext_only
from tests.claims.live.browser import RecordedRequest
from tests.claims.live.canaries import Canaries
from tests.claims.live.keyspace import KeyRecord
from tests.claims.live.storage import NOTHING_STORED, StorageRecord
from tests.claims.live.wire import WireFrame
from tests.claims.support.site import Crawl, Fetched

ROOM_ID = bytes.fromhex("e7bad6507eab27be3ee97715abaefa76")
ROOM_KEY = b"atopos:default:room:{" + ROOM_ID.hex().encode() + b"}:meta"
SHARD = bytes(range(32))
STRICT_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; connect-src 'self'",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "content-type": "text/html; charset=utf-8",
}


def planted(**values: bytes) -> Canaries:
    canaries = Canaries()
    for name, value in values.items():
        canaries.plant(name.replace("_", "-"), value)
    return canaries


def envelope(size: int) -> bytes:
    return bytes([VERSION, Kind.ENVELOPE]) + os.urandom(size - 2)


# keyspace_ttls_bounded ------------------------------------------------------------------


def test_a_key_without_ttl_fails_the_ttl_check():
    records = [KeyRecord(ROOM_KEY, "hash", -1, ())]
    result = keyspace_ttls_bounded.judge(records, 900)
    assert not result.passed
    assert "a room key has no TTL" in result.reasons


def test_a_room_key_outliving_its_room_fails_the_ttl_check():
    records = [KeyRecord(ROOM_KEY, "hash", 2_000_000, ())]
    assert (
        "a room key lives 2000 s, over 900 s" in keyspace_ttls_bounded.judge(records, 900).reasons
    )


def test_an_undocumented_key_fails_the_ttl_check():
    records = [KeyRecord(ROOM_KEY, "hash", 1000, ()), KeyRecord(b"stray", "string", 1000, ())]
    assert (
        "an undocumented key family (string)" in keyspace_ttls_bounded.judge(records, 900).reasons
    )


def test_a_rate_counter_outliving_its_window_fails_the_ttl_check():
    key = b"atopos:default:rate:join:8efb14980835698635b25aad95808870"
    records = [KeyRecord(ROOM_KEY, "hash", 1000, ()), KeyRecord(key, "string", 120_000, ())]
    assert (
        "a rate-join key lives 120 s, over 60 s"
        in keyspace_ttls_bounded.judge(records, 900).reasons
    )


# keyspace_holds_no_secrets -----------------------------------------------------------------


def test_a_secret_in_a_redis_value_fails_in_any_encoding():
    secret = os.urandom(32)
    record = KeyRecord(ROOM_KEY, "hash", 1000, (b"shard", secret.hex().encode()))
    result = keyspace_holds_no_secrets.judge({"room alive": [record]}, planted(room_secret=secret))
    assert result.reasons == ["room-secret found in a hash key (room alive)"]


# ended_room_leaves_nothing --------------------------------------------------------------------


def test_a_room_key_left_after_the_end_fails():
    result = ended_room_leaves_nothing.judge(
        [KeyRecord(ROOM_KEY, "hash", 1000, ())], ROOM_ID, SHARD
    )
    assert "a room key survived the end of its room" in result.reasons
    assert "a room key still holds the room id" in result.reasons


def test_a_tombstone_holding_the_server_shard_fails():
    tomb = KeyRecord(b"atopos:default:tomb:" + b"ab" * 16, "string", 1000, (SHARD,))
    result = ended_room_leaves_nothing.judge([tomb], ROOM_ID, SHARD)
    assert result.reasons == ["a tombstone key still holds the server shard"]


# wire_carries_ciphertext_only and browser_fragment_never_sent ---------------------------------


def test_a_plaintext_message_on_the_wire_fails():
    frame = WireFrame("python", "sent", envelope(310)[:-40] + b"canary-message-xyz" + bytes(22))
    result = wire_carries_ciphertext_only.judge([frame], planted(message=b"canary-message-xyz"))
    assert result.reasons == ["message crossed the wire in a python frame (sent)"]


def test_no_secret_may_cross_the_wire_not_even_an_owners():
    """Since protocol v2 no frame carries a secret by design: any canary on the wire fails."""
    secret = os.urandom(32)
    frame = WireFrame("python", "sent", bytes([VERSION, Kind.EVENT]) + secret)
    canaries = planted(auth_seed=secret, message=b"canary-message-xyz")
    assert not wire_carries_ciphertext_only.judge([frame], canaries).passed


def test_a_request_carrying_the_fragment_fails():
    fragment = b"v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB"
    request = RecordedRequest(f"http://site/r/?link={fragment.decode()}", "GET", (), b"")
    frames = [WireFrame("browser", "sent", b"\x01\x02" + bytes(144))]
    result = browser_fragment_never_sent.judge(
        [request], frames, planted(browser_fragment=fragment)
    )
    assert result.reasons == ["browser-fragment left the browser in a GET request"]


def test_a_referer_carrying_the_link_shard_fails():
    shard = os.urandom(32)
    import base64

    referer = "http://site/r/#v1." + base64.urlsafe_b64encode(shard).decode().rstrip("=")
    request = RecordedRequest("http://site/static/x.js", "GET", (("referer", referer),), b"")
    frames = [WireFrame("browser", "sent", b"\x01\x02" + bytes(144))]
    result = browser_fragment_never_sent.judge([request], frames, planted(browser_link_shard=shard))
    assert result.reasons == ["browser-link-shard left the browser in a GET request"]


# passphrase_never_sent and link_alone_gets_nothing (Extra Lock) --------------------------


def extra_lock_canaries(**overrides: bytes) -> Canaries:
    values = {
        "browser_passphrase": b"canary-browser-passphrase-0123",
        "browser_wrong_passphrase": b"canary-browser-wrong-passphrase-4567",
        "browser_passphrase_shard": bytes(range(100, 132)),
    }
    return planted(**{**values, **overrides})


def test_a_frame_carrying_the_passphrase_shard_fails():
    shard = bytes(range(100, 132))
    frames = [WireFrame("browser", "sent", bytes([VERSION, Kind.UNLOCK]) + shard + bytes(32))]
    request = RecordedRequest("http://site/r/", "GET", (), b"")
    result = passphrase_never_sent.judge([request], frames, extra_lock_canaries())
    assert result.reasons == ["browser-passphrase-shard left the browser in a WebSocket message"]


def test_a_request_carrying_the_typed_passphrase_fails():
    request = RecordedRequest(
        "http://site/r/", "POST", (), b"pw=canary-browser-wrong-passphrase-4567"
    )
    frames = [WireFrame("browser", "sent", b"\x02\x02" + bytes(272))]
    result = passphrase_never_sent.judge([request], frames, extra_lock_canaries())
    assert result.reasons == ["browser-wrong-passphrase left the browser in a POST request"]


def test_a_session_where_p_was_never_derived_proves_nothing():
    canaries = planted(browser_passphrase=b"x" * 20, browser_wrong_passphrase=b"y" * 20)
    frames = [WireFrame("browser", "sent", b"\x02\x02" + bytes(272))]
    result = passphrase_never_sent.judge([RecordedRequest("u", "GET", (), b"")], frames, canaries)
    assert result.reasons == ["nothing to search for: browser-passphrase-shard was not recorded"]


def frame(kind: Kind, body: bytes = b"") -> bytes:
    return bytes([VERSION, kind]) + body


ASKED = [
    frame(Kind.CHALLENGE, bytes(40)),
    frame(Kind.LOCK_REQUIRED, bytes.fromhex("0000200000000001")),
    frame(Kind.REFUSED, bytes(32) + b"wrong-passphrase"),
]


def test_mallory_given_only_the_parameters_and_a_refusal_passes():
    assert link_alone_gets_nothing.judge(ASKED, 0).passed


def test_a_welcome_for_mallory_fails():
    """The relay that skips the passphrase check hands her the genesis and V."""
    result = link_alone_gets_nothing.judge([*ASKED, frame(Kind.WELCOME, bytes(40))], 0)
    assert result.reasons == ["the relay sent Mallory a frame of kind WELCOME"]


def test_an_envelope_for_mallory_fails():
    result = link_alone_gets_nothing.judge([*ASKED, envelope(310)], 1)
    assert result.reasons == [
        "Mallory's page showed 1 messages",
        "the relay sent Mallory a frame of kind ENVELOPE",
    ]


def test_mallory_never_asked_for_a_passphrase_proves_nothing():
    result = link_alone_gets_nothing.judge([frame(Kind.CHALLENGE, bytes(40))], 0)
    assert result.reasons == [
        "Mallory was never asked for a passphrase: nothing was tested",
        "Mallory's wrong passphrase was not refused as one",
    ]


# local_storage_emptied ------------------------------------------------------------------

MOMENTS = ("after leaving an unremembered room", "after closing its tab", "after Delete local keys")


def storage_session(**late: object) -> StorageRecord:
    """Every look empty (Chromium reports no usage), the kept room in its database; ``late``
    puts what is left after Delete local keys, as Chromium sees it."""
    record = StorageRecord()
    for moment in MOMENTS:
        record.snapshots[f"{moment} (page)"] = dict(NOTHING_STORED)
        record.snapshots[f"{moment} (Chromium)"] = {**NOTHING_STORED, "usage": 0}
    record.snapshots["while a room is kept on this device (Chromium)"] = {
        **NOTHING_STORED, "databases": ["atopos-vault"], "usage": 4096,
    }  # fmt: skip
    record.snapshots["after Delete local keys (Chromium)"].update(late)
    return record


def test_a_profile_emptied_at_every_moment_passes():
    assert local_storage_emptied.judge(storage_session()).passed


def test_a_vault_database_left_after_delete_local_keys_fails():
    result = local_storage_emptied.judge(storage_session(databases=["atopos-vault"], usage=2048))
    assert result.reasons == [
        "after Delete local keys (Chromium): Chromium counts 2048 bytes stored for the site",
        "after Delete local keys (Chromium): the site's databases still holds something",
    ]


def test_session_storage_left_after_leaving_fails():
    record = storage_session()
    record.snapshots["after leaving an unremembered room (page)"]["session"] = {
        "atopos.room.v1": "{}"
    }
    result = local_storage_emptied.judge(record)
    assert result.reasons == [
        "after leaving an unremembered room (page): the site's session still holds something"
    ]


def test_a_vault_that_kept_nothing_proves_nothing_about_deleting():
    record = storage_session()
    del record.snapshots["while a room is kept on this device (Chromium)"]
    result = local_storage_emptied.judge(record)
    assert result.reasons == ["the kept room left no database: Delete local keys was not tested"]


# frame_sizes_are_buckets ----------------------------------------------------------------


def test_an_envelope_of_a_non_bucket_size_fails():
    frames = [
        WireFrame("browser", "received", envelope(310)),
        WireFrame("python", "sent", envelope(300)),
    ]
    result = frame_sizes_are_buckets.judge(frames)
    assert result.reasons == ["an envelope of 300 bytes (python)"]


def test_bucket_sized_envelopes_pass():
    assert frame_sizes_are_buckets.judge([WireFrame("python", "sent", envelope(310))]).passed


# logs_hold_no_secrets ---------------------------------------------------------------------------


def test_a_log_line_with_a_canary_fails():
    log = "2026-11-23 06:54:26,590 INFO rooms: said canary-message-xyz\n"
    result = logs_hold_no_secrets.judge(log, planted(message=b"canary-message-xyz"), {})
    assert result.reasons == ["message appears in the log"]


def test_a_log_line_with_a_client_address_fails():
    log = "2026-11-23 06:54:26,590 DEBUG daphne: connection from 203.0.113.7:50796\n"
    result = logs_hold_no_secrets.judge(log, planted(message=b"canary-message-xyz"), {})
    assert result.reasons == ["an IP address appears in the log (1 times)"]


def test_a_log_line_with_the_room_id_fails():
    log = f"2026-11-23 06:54:26,590 INFO rooms: room {ROOM_ID.hex()} ended\n"
    result = logs_hold_no_secrets.judge(log, Canaries(), {"room id": ROOM_ID})
    assert result.reasons == ["the room id appears in the log"]


def test_clock_times_are_not_addresses():
    log = "2026-11-23 06:54:26,590 DEBUG daphne: [redacted] 12:30:01 ok\n"
    assert logs_hold_no_secrets.judge(log, Canaries(), {}).passed


# database_schema_scan ------------------------------------------------------------------------


def test_a_plaintext_column_fails_the_schema_scan(tmp_path):
    import sqlite3

    path = tmp_path / "dump.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes_note (id INTEGER, plaintext TEXT)")
    dump = database_schema_scan.read_database(f"sqlite:///{path}")
    result = database_schema_scan.judge(dump, Canaries(), [])
    assert result.reasons == ["column notes_note.plaintext is named for forbidden data"]


def test_a_row_holding_a_canary_or_a_client_address_fails_the_schema_scan(tmp_path):
    import sqlite3

    path = tmp_path / "dump.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE audit_entry (id INTEGER, note TEXT)")
        db.execute("INSERT INTO audit_entry VALUES (1, 'canary-name-abc from 198.51.100.4')")
    dump = database_schema_scan.read_database(f"sqlite:///{path}")
    result = database_schema_scan.judge(dump, planted(alice_name=b"canary-name-abc"), [])
    assert result.reasons == [
        "alice-name found in table audit_entry",
        "an IP address found in table audit_entry",
    ]


# ended_room_cannot_be_decrypted --------------------------------------------------------------


def test_a_server_shard_kept_after_the_end_makes_the_traffic_decryptable():
    from atopos_client.admission import Admission

    admission = Admission.new_room("http://localhost", "Alice", 900, 1_700_000_000_000)
    creator = admission.accept_created()
    frames = [WireFrame("python", "sent", creator.text("hello"))]
    link, shard = creator.link, creator.server_shard
    kept = [
        KeyRecord(b"atopos:default:tomb:" + b"ab" * 16, "string", 1000, (shard.hex().encode(),))
    ]
    result = ended_room_cannot_be_decrypted.judge(
        kept, kept, frames, link.link_shard, link.genesis_hash, creator.keys.room_id
    )
    assert result.reasons == ["1 envelopes opened with the ended room's keyspace"]


def test_without_a_working_control_the_decryption_check_cannot_pass():
    result = ended_room_cannot_be_decrypted.judge([], [], [], bytes(32), bytes(16), bytes(16))
    assert result.status.value == "error"


# ended_room_indistinguishable -----------------------------------------------------------------

REFUSED_JOIN, REFUSED_CREATE = 4004, 4107


def answers(
    code: int | None, millis: float, count: int = 5, frames: tuple[tuple[int, int], ...] = ()
) -> list[ended_room_indistinguishable.Answer]:
    return [ended_room_indistinguishable.Answer(frames, code, millis) for _ in range(count)]


def alike(code: int) -> tuple[list, list]:
    """The same answer, as fast, for the ended room and the never-existing one."""
    return answers(code, 1.0), answers(code, 1.0)


def test_rooms_answering_alike_pass():
    result = ended_room_indistinguishable.judge(alike(REFUSED_JOIN), alike(REFUSED_CREATE))
    assert result.passed, result.reasons
    assert result.counts["create_attempts_never_existed"] == 5


def test_a_different_close_code_for_ended_rooms_fails():
    join = (answers(REFUSED_JOIN, 1.0), answers(4001, 1.0))
    result = ended_room_indistinguishable.judge(join, alike(REFUSED_CREATE))
    assert result.reasons == ["join: an ended room answers differently from one that never existed"]


def test_the_create_oracle_of_protocol_v1_fails():
    """Version 1's answers to a stranger's CREATE: the ended id 4107, a never-used id CREATED
    (and the socket left open). The check must tell them apart."""
    created = answers(None, 1.0, frames=((Kind.CREATED, 2),))
    result = ended_room_indistinguishable.judge(
        alike(REFUSED_JOIN), (answers(REFUSED_CREATE, 1.0), created)
    )
    assert result.status.value == "fail"
    assert result.reasons == [
        "create: an ended room answers differently from one that never existed"
    ]


def test_probes_stopped_by_a_rate_limit_prove_nothing():
    join = (answers(REFUSED_JOIN, 1.0), answers(4029, 0.0))
    result = ended_room_indistinguishable.judge(join, alike(REFUSED_CREATE))
    assert result.status.value == "error"


def test_a_slower_answer_for_ended_rooms_fails():
    create = (answers(REFUSED_CREATE, 30.0), answers(REFUSED_CREATE, 1.0))
    result = ended_room_indistinguishable.judge(alike(REFUSED_JOIN), create)
    assert result.reasons == ["create: median answer times differ by 29.0 ms (tolerance 5.0 ms)"]


def test_no_create_attempt_is_no_proof():
    result = ended_room_indistinguishable.judge(alike(REFUSED_JOIN), ([], []))
    assert result.reasons == ["create: no attempt was made"]


# security headers, foreign origins, served code -------------------------------------------------


def page(path: str, body: bytes, **headers: str) -> Fetched:
    return Fetched(path, 200, {**STRICT_HEADERS, **headers}, body)


def test_a_response_without_nosniff_fails_the_header_check():
    response = page("/", b"<p>hi</p>", **{"x-content-type-options": ""})
    result = security_headers_every_route.judge([response], https=False)
    assert result.reasons == ["/ (200): x-content-type-options is not nosniff"]


def test_a_csp_allowing_inline_script_fails_the_header_check():
    policy = STRICT_HEADERS["content-security-policy"].replace(
        "script-src 'self'", "script-src 'self' 'unsafe-inline'"
    )
    response = page("/", b"", **{"content-security-policy": policy})
    reasons = security_headers_every_route.judge([response], https=False).reasons
    assert "/ (200): CSP script-src allows 'unsafe-inline'" in reasons


def csp_hash(text: str) -> str:
    return "'sha384-" + base64.b64encode(hashlib.sha384(text.encode()).digest()).decode() + "'"


def test_a_csp_admitting_the_pages_own_import_map_by_hash_passes_the_header_check():
    """The room page's import map is data: its hash, and nothing else inline, may be admitted."""
    import_map = '{"integrity":{"/static/js/a.js":"sha384-x"}}'
    policy = STRICT_HEADERS["content-security-policy"].replace(
        "script-src 'self'", f"script-src 'self' {csp_hash(import_map)}"
    )
    body = f'<script type="importmap">{import_map}</script>'.encode()
    response = page("/r/", body, **{"content-security-policy": policy})
    assert security_headers_every_route.judge([response], https=False).reasons == []


def test_mallory_cannot_slip_an_inline_script_in_by_its_hash():
    """A hash-source for an executable inline script, or for nothing on the page, fails."""
    code = "alert(document.cookie)"
    policy = STRICT_HEADERS["content-security-policy"].replace(
        "script-src 'self'", f"script-src 'self' {csp_hash(code)} {csp_hash('absent')}"
    )
    response = page(
        "/r/", f"<script>{code}</script>".encode(), **{"content-security-policy": policy}
    )
    assert security_headers_every_route.judge([response], https=False).reasons == [
        "/r/ (200): CSP script-src admits a hash of no inline script on the page",
        "/r/ (200): CSP script-src admits an inline text/javascript script",
    ]


def test_a_cookie_or_missing_hsts_over_https_fails_the_header_check():
    response = page("/", b"", **{"set-cookie": "csrftoken=x"})
    reasons = security_headers_every_route.judge([response], https=True).reasons
    assert reasons == [
        "/ (200): no Strict-Transport-Security over HTTPS",
        "/ (200): sets a cookie",
    ]


def test_a_page_with_an_external_script_fails():
    body = b'<script src="https://cdn.example.net/lib.js"></script>'
    result = pages_load_nothing_foreign.judge("http://localhost:8000", [page("/", body)], [])
    assert result.reasons == ["/: <script src> loads from another origin"]


def test_a_protocol_relative_stylesheet_fails():
    body = b'<link rel="stylesheet" href="//fonts.example.net/a.css">'
    result = pages_load_nothing_foreign.judge("http://localhost:8000", [page("/", body)], [])
    assert result.reasons == ["/: <link href> loads from another origin"]


def test_a_browser_request_to_another_origin_fails():
    result = pages_load_nothing_foreign.judge(
        "http://localhost:8000", [page("/", b"<p></p>")], ["https://tracker.example.net/p.gif"]
    )
    assert result.reasons == ["the browser requested something from another origin"]


def test_served_code_that_differs_from_the_build_fails(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "app.js").write_bytes(b"console.log('built');\n")
    served = b"console.log('altered');\n"
    integrity = served_client_matches_build.sri(served, "sha384")
    html = f'<script type="module" src="/static/js/app.js" integrity="{integrity}"></script>'
    visit = Crawl("http://localhost:8000", {
        "/": page("/", html.encode()),
        "/static/js/app.js": Fetched("/static/js/app.js", 200, {}, served),
    })  # fmt: skip
    result = served_client_matches_build.judge(visit, tmp_path)
    assert result.reasons == ["/static/js/app.js differs from the build"]


def test_a_wrong_integrity_attribute_fails(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "app.js").write_bytes(b"ok();\n")
    html = b'<script src="/static/js/app.js" integrity="sha384-AAAA"></script>'
    visit = Crawl("http://localhost:8000", {
        "/": page("/", html),
        "/static/js/app.js": Fetched("/static/js/app.js", 200, {}, b"ok();\n"),
    })  # fmt: skip
    result = served_client_matches_build.judge(visit, tmp_path)
    assert result.reasons == ["/: the integrity of /static/js/app.js does not match"]
