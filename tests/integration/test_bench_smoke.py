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


def test_the_governance_bench_reports_every_log_length(tmp_path):
    """`python -m bench.governance --profile smoke`: append, join and join-to-ready figures at
    10, 100 and 1,000 events (each log really that long), a cold first join, the target's
    verdict and the plot."""
    subprocess.run(
        [sys.executable, "-m", "bench.governance", "--profile", "smoke", "--out", str(tmp_path)],
        cwd=ROOT, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    report = json.loads((tmp_path / "report-smoke.json").read_text())
    assert report["lengths"] == [10, 100, 1000]
    for length in ("10", "100", "1000"):
        figures = report["warm"][length]
        assert figures["log_events"]["first_sample"] == int(length)
        assert figures["log_events"]["last_sample"] >= int(length)
        for measure in ("append", "join", "join_to_ready"):
            assert figures[measure]["p99_ms"] >= figures[measure]["p50_ms"] > 0, (length, measure)
        assert report["cold_first_join"][length]["p50_ms"] > 0
    assert set(report["target"]) == {"ratio_max", "append", "join"}
    assert (tmp_path / "latency-smoke.png").read_bytes().startswith(PNG_MAGIC)
