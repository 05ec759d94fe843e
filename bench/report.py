"""The bench report: JSON with medians, ratios to the yardstick and targets; PNG plots."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from bench.run import YARDSTICK, Profile, RoundResult, machine, summarise

TARGETS = {
    "saturated_throughput_ratio_min": 0.6,
    "server_cpu_per_delivery_ratio_max": 1.7,
    "p99_at_1000_ratio_max": 2.0,
    "kib_per_idle_socket_max": 32,
    "throughput_vs_tutorial_min": 5.0,
}


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def build(
    results: dict[str, list[RoundResult]], labels: dict[str, str], profile: Profile, seconds: float
) -> dict[str, Any]:
    """The whole report as a JSON-ready dictionary."""
    variants = {
        name: {"label": labels[name], **summarise(rounds, profile)}
        for name, rounds in results.items()
    }
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "profile": profile.name,
        "duration_s": round(seconds, 1),
        "machine": machine(),
        "load": {
            "rooms": profile.rooms,
            "members_per_room": profile.room_size,
            "frame_bytes": 1078,
            "rounds": profile.rounds,
            "fixed_rates": list(profile.fixed_rates),
            "ladder": list(profile.ladder),
            "idle_sockets": profile.idle_sockets,
        },
        "variants": variants,
    }
    if YARDSTICK in variants and "atopos" in variants:
        report["ratios_to_yardstick"] = ratios(variants)
        report["targets"] = targets(variants, report["ratios_to_yardstick"])
    return report


def ratios(variants: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Each variant against the bare websockets + Redis pub/sub relay."""
    base = variants[YARDSTICK]
    out = {}
    for name, figures in variants.items():
        at_1000 = figures["fixed_load"].get("1000", {})
        base_1000 = base["fixed_load"].get("1000", {})
        out[name] = {
            "saturated_throughput": _ratio(
                figures["saturated_deliveries_per_s"], base["saturated_deliveries_per_s"]
            ),
            "server_cpu_per_delivery_at_1000": _ratio(
                at_1000.get("server_cpu_us_per_delivery"),
                base_1000.get("server_cpu_us_per_delivery"),
            ),
            "p99_at_1000": _ratio(at_1000.get("p99_ms"), base_1000.get("p99_ms")),
        }
    return out


def targets(variants: dict[str, Any], ratio: dict[str, Any]) -> dict[str, Any]:
    """Each target for the Atopos relay, its measured value and whether it is met."""
    atopos = variants["atopos"]
    mine = ratio["atopos"]
    tutorial = variants.get("tutorial", {}).get("saturated_deliveries_per_s")
    losses = [figures["loss"] for figures in atopos["fixed_load"].values()]
    versus_tutorial = _ratio(atopos["saturated_deliveries_per_s"], tutorial)
    checks = {
        "saturated_throughput_ratio": (
            mine["saturated_throughput"], ">=", TARGETS["saturated_throughput_ratio_min"]
        ),
        "server_cpu_per_delivery_ratio": (
            mine["server_cpu_per_delivery_at_1000"], "<=",
            TARGETS["server_cpu_per_delivery_ratio_max"],
        ),
        "p99_at_1000_ratio": (mine["p99_at_1000"], "<=", TARGETS["p99_at_1000_ratio_max"]),
        "loss_below_saturation": (max(losses) if losses else None, "<=", 0.0),
        "kib_per_idle_socket": (
            atopos["kib_per_idle_socket"], "<=", TARGETS["kib_per_idle_socket_max"]
        ),
        "throughput_vs_tutorial": (versus_tutorial, ">=", TARGETS["throughput_vs_tutorial_min"]),
    }  # fmt: skip
    out = {}
    for name, (value, operator, limit) in checks.items():
        met = None if value is None else (value >= limit if operator == ">=" else value <= limit)
        out[name] = {"value": value, "target": f"{operator} {limit}", "met": met}
    return out


def write(
    report: dict[str, Any], results: dict[str, list[RoundResult]], directory: Path
) -> list[Path]:
    """report.json, latency-cdf.png and throughput.png in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "report.json", directory / "latency-cdf.png", directory / "throughput.png"]
    paths[0].write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    labels = {name: figures["label"] for name, figures in report["variants"].items()}
    rate = max(int(rate) for rate in report["load"]["fixed_rates"])

    figure, axes = plt.subplots(figsize=(8, 5))
    for name, rounds in results.items():
        samples = sorted(sample for result in rounds for sample in result.fixed[rate].latencies_ms)
        if samples:
            axes.plot(
                samples, [(i + 1) / len(samples) for i in range(len(samples))], label=labels[name]
            )
    axes.set_xscale("log")
    axes.set_xlabel("delivery latency (ms, log scale)")
    axes.set_ylabel("fraction of deliveries")
    axes.set_title(f"Latency CDF at {rate} deliveries/s")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(paths[1], dpi=110)
    plt.close(figure)

    figure, axes = plt.subplots(figsize=(8, 5))
    for name, rounds in results.items():
        points = sorted(
            (phase.offered_per_s, phase.delivered_per_s)
            for result in rounds
            for phase in result.ladder
        )
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=labels[name])
    top = max(
        (phase.offered_per_s for rounds in results.values() for r in rounds for phase in r.ladder),
        default=1,
    )
    axes.plot([0, top], [0, top], linestyle=":", color="grey", label="delivered = offered")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("offered deliveries/s")
    axes.set_ylabel("delivered deliveries/s")
    axes.set_title("Throughput against offered load")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(paths[2], dpi=110)
    plt.close(figure)
    return paths
