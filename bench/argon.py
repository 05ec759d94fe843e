"""Extra Lock's Argon2id in the browser: how long each parameter set takes in Chromium with
its JIT and without it (Tor Browser's Safer level), and which one a new room asks for.

`make bench-js` runs this after the envelope figures. The rule (issue 14, PROTOCOL §2.1):
the strongest setting, by memory times passes (more memory on a tie), that derives in at
most BUDGET_MS in Chromium with ``--jitless --noexpose_wasm``. The JIT figure is reported
beside it. JSON in var/bench/client/argon2.json, the plot in var/bench/client/argon2.png.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from atopos_protocol.extra_lock import within_bounds

BUDGET_MS = 3000
# (memory KiB, passes), in order of work; the jitless run stops growing once a set takes
# far over the budget, so the whole sweep stays bounded.
GRID = [
    (4096, 1), (8192, 1), (4096, 2), (12288, 1), (16384, 1), (8192, 2), (20480, 1),
    (24576, 1), (12288, 2), (32768, 1), (16384, 2), (49152, 1), (65536, 1),
]  # fmt: skip
STOP_AFTER_MS = 2.5 * BUDGET_MS
JITLESS = ["--js-flags=--jitless --noexpose_wasm"]

# Runs in the page: the room page's own modules, so the bench times the code people run.
DERIVE = """
async ([memoryKib, passes]) => {
  const { passphraseShard } = await import('/static/js/client/extra-lock.js');
  const salt = new Uint8Array(16).fill(7);
  const start = performance.now();
  await passphraseShard('correct horse battery staple', salt, { memoryKib, passes });
  return performance.now() - start;
}
"""


def chromium_times(browser: Any, origin: str, runs: int) -> dict[str, float]:
    """Median milliseconds per parameter set in one browser, until sets grow too slow."""
    page = browser.new_context().new_page()
    page.goto(f"{origin}/r/")
    page.wait_for_selector("#create-view:not([hidden])")
    times: dict[str, float] = {}
    for memory_kib, passes in GRID:
        assert within_bounds(memory_kib, passes)  # noqa: S101 -- the grid is ours
        samples = [page.evaluate(DERIVE, [memory_kib, passes]) for _ in range(runs)]
        times[f"{memory_kib}x{passes}"] = round(statistics.median(samples), 1)
        if times[f"{memory_kib}x{passes}"] > STOP_AFTER_MS:
            break
    page.context.close()
    return times


def choose(jitless: dict[str, float]) -> dict[str, int]:
    """The strongest set within the budget without a JIT (more memory on a tie)."""
    fitting = [
        tuple(int(part) for part in name.split("x"))
        for name, milliseconds in jitless.items()
        if milliseconds <= BUDGET_MS
    ]
    memory_kib, passes = max(fitting, key=lambda pair: (pair[0] * pair[1], pair[0]))
    return {"memory_kib": memory_kib, "passes": passes}


def measure(
    playwright: Any, chromium: str, flags: list[str], origin: str, runs: int
) -> dict[str, Any]:
    """Both browsers' figures and the choice."""
    results: dict[str, Any] = {}
    for name, extra in (("chromium", []), ("chromium_jitless_no_wasm", JITLESS)):
        browser = playwright.chromium.launch(executable_path=chromium, args=flags + extra)
        try:
            results[name] = chromium_times(browser, origin, runs)
        finally:
            browser.close()
    results["budget_ms"] = BUDGET_MS
    results["chosen"] = choose(results["chromium_jitless_no_wasm"])
    return results


def plot(results: dict[str, Any], path: Path) -> None:
    """Milliseconds against memory times passes, with and without the JIT, and the budget."""
    figure, axes = plt.subplots(figsize=(7, 4))
    for name, label in (
        ("chromium", "Chromium"),
        ("chromium_jitless_no_wasm", "Chromium, no JIT, no WebAssembly"),
    ):
        points = sorted(
            (int(key.split("x")[0]) * int(key.split("x")[1]) / 1024, value)
            for key, value in results[name].items()
        )
        axes.plot([x for x, _ in points], [y for _, y in points], marker="o", label=label)
    axes.axhline(results["budget_ms"], color="grey", linestyle="--", label="3 s budget")
    chosen = results["chosen"]
    mebibytes, passes = chosen["memory_kib"] // 1024, chosen["passes"]
    axes.set_title(f"Argon2id (noble) per derivation; chosen: {mebibytes} MiB x {passes}")
    axes.set_xlabel("memory x passes (MiB)")
    axes.set_ylabel("milliseconds (median)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
