"""`make bench BENCH=smoke` writes a well-formed report (the figures themselves are not judged)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.processes import ROOT

pytestmark = pytest.mark.integration
VARIANTS = {"bare", "bare-redis", "atopos", "tutorial"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_the_smoke_bench_produces_a_complete_report(tmp_path):
    """Every variant gets every figure, ratios and targets are filled in, both plots exist."""
    subprocess.run(
        [sys.executable, "-m", "bench", "--profile", "smoke", "--out", str(tmp_path)],
        cwd=ROOT, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["profile"] == "smoke"
    assert report["machine"]["cores"] >= 1
    assert set(report["variants"]) == VARIANTS
    for name, figures in report["variants"].items():
        assert figures["saturated_deliveries_per_s"] > 0, name
        assert figures["kib_per_idle_socket"] is not None, name
        for rate in ("250", "1000"):
            fixed = figures["fixed_load"][rate]
            assert fixed["p50_ms"] is not None, (name, rate)
            assert fixed["p99_ms"] >= fixed["p50_ms"], (name, rate)
            assert 0 <= fixed["loss"] <= 1, (name, rate)
    assert set(report["ratios_to_yardstick"]) == VARIANTS
    assert report["ratios_to_yardstick"]["bare-redis"]["saturated_throughput"] == 1.0
    assert set(report["targets"]) == {
        "saturated_throughput_ratio",
        "server_cpu_per_delivery_ratio",
        "p99_at_1000_ratio",
        "loss_below_saturation",
        "kib_per_idle_socket",
        "throughput_vs_tutorial",
    }
    for plot in ("latency-cdf.png", "throughput.png"):
        assert (tmp_path / plot).read_bytes().startswith(PNG_MAGIC)
