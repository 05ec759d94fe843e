"""`make bench-js`: the client side. Envelope crypto in node (noble) against PyNaCl
(libsodium) in the same run, a room's create-to-first-message time in headless
Chromium, with and without the JIT, and Extra Lock's Argon2id there (bench.argon).
Writes var/bench/client/report.json and argon2.png.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from atopos_client.envelope import Plaintext, open_envelope, seal
from atopos_client.keys import first_epoch
from atopos_client.messages import ChatMessage, InnerKind
from atopos_protocol.routing_modes import RoutingMode
from bench import argon
from bench.run import machine
from bench.servers import ROOT, start_lab

SIZES = (("1KiB", 900), ("16KiB", 8000))
NOW_MS = 1_800_000_000_000  # any time: sealing and opening do not look at the clock
CHROMIUM = os.environ.get("ATOPOS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip


def _rate(action: Any, seconds: float) -> float:
    count = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(20):
            action()
        count += 20
    return count / seconds


def pynacl_envelopes(seconds: float) -> dict[str, Any]:
    """Seal and open per second with the Python reference (libsodium underneath)."""
    epoch = first_epoch(bytes([7]) * 32)
    room_id = bytes([1]) * 16
    results = {}
    epochs = {epoch.epoch_id: epoch}
    direct = RoutingMode.DIRECT
    for label, size in SIZES:
        body = ChatMessage(NOW_MS, 1, 0, NOW_MS, "x" * size).encode(direct)
        plaintext = Plaintext(InnerKind.TEXT, bytes(32), NOW_MS, bytes(32), NOW_MS, body)
        frame = seal(epoch, room_id, plaintext, direct)

        def sealing(value: Plaintext = plaintext) -> None:
            seal(epoch, room_id, value, direct)

        def opening(value: bytes = frame) -> None:
            open_envelope(value, room_id, direct, epochs)

        results[label] = {
            "frame_bytes": len(frame),
            "seal_per_s": round(_rate(sealing, seconds)),
            "open_per_s": round(_rate(opening, seconds)),
        }
    return results


def node_envelopes(seconds: float, jitless: bool) -> dict[str, Any]:
    """The same under node, with the browser client's modules."""
    flags = ["--jitless"] if jitless else []
    output = subprocess.run(  # noqa: S603 -- node on our own script
        ["node", *flags, "bench/js/envelopes.mjs", str(seconds)],  # noqa: S607 -- node from PATH
        cwd=ROOT, check=True, capture_output=True, text=True, timeout=300,
    ).stdout  # fmt: skip
    return json.loads(output)


def first_message_times(origin: str, runs: int, extra_flags: list[str]) -> dict[str, float]:
    """Median milliseconds: click Create -> link shown -> joiner connected -> first message seen."""
    from playwright.sync_api import sync_playwright

    samples: dict[str, list[float]] = {
        "create_ms": [],
        "join_ms": [],
        "message_ms": [],
        "total_ms": [],
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS + extra_flags
        )
        try:
            for _ in range(runs):
                creator = browser.new_context().new_page()
                creator.goto(f"{origin}/r/")
                creator.wait_for_selector("#create-view:not([hidden])")
                start = time.perf_counter()
                creator.click("#create-form button[type=submit]")
                creator.wait_for_selector("#status[data-state='connected']")
                created = time.perf_counter()
                link = creator.input_value("#share-link")
                joiner = browser.new_context().new_page()
                joiner.goto(link)
                joiner.click("#join-form button")
                joiner.wait_for_selector("#status[data-state='connected']")
                joined = time.perf_counter()
                joiner.fill("#composer-text", "first!")
                joiner.press("#composer-text", "Enter")
                creator.locator(".message__text", has_text="first!").wait_for()
                seen = time.perf_counter()
                samples["create_ms"].append((created - start) * 1000)
                samples["join_ms"].append((joined - created) * 1000)
                samples["message_ms"].append((seen - joined) * 1000)
                samples["total_ms"].append((seen - start) * 1000)
                creator.context.close()
                joiner.context.close()
        finally:
            browser.close()
    return {name: round(statistics.median(values), 1) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> int:
    smoke = "--smoke" in (argv if argv is not None else sys.argv[1:])
    seconds, runs = (0.2, 1) if smoke else (2.0, 5)
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "envelopes": {
            "pynacl": pynacl_envelopes(seconds),
            "node": node_envelopes(seconds, jitless=False),
            "node_jitless": node_envelopes(seconds, jitless=True),
        },
    }
    if os.access(CHROMIUM, os.X_OK):
        lab = start_lab(["atopos"])
        try:
            origin = lab.variants[0].origin
            jitless = ["--js-flags=--jitless --noexpose_wasm"]
            report["browser"] = {
                "chromium": first_message_times(origin, runs, []),
                "chromium_jitless_no_wasm": first_message_times(origin, runs, jitless),
            }
            from playwright.sync_api import sync_playwright

            with sync_playwright() as playwright:
                report["argon2id"] = argon.measure(
                    playwright, CHROMIUM, CHROMIUM_FLAGS, origin, 1 if smoke else 3
                )
        finally:
            lab.stop()
    else:
        report["browser"] = {"skipped": f"no Chromium at {CHROMIUM}"}
    out = ROOT / "var" / "bench" / "client"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if "argon2id" in report:
        argon.plot(report["argon2id"], out / "argon2.png")
    sys.stdout.write(f"{out / 'report.json'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
