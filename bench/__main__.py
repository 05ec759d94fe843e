"""`python -m bench [--profile smoke|full] [--out DIR] [--variants ...]`."""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
from pathlib import Path

from bench.report import build, write
from bench.run import PROFILES, run
from bench.servers import LABELS, start_lab

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "var" / "bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument(
        "--out", type=Path, default=None, help="directory for report.json and plots"
    )
    parser.add_argument("--variants", nargs="*", choices=sorted(LABELS), help="default: all")
    arguments = parser.parse_args(argv)
    profile = PROFILES[arguments.profile]
    names = arguments.variants or list(profile.variants)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # thousands of sockets, both ends
    lab = start_lab(names)
    try:
        results, seconds = asyncio.run(run(lab, profile))
    finally:
        lab.stop()
    report = build(results, {name: LABELS[name] for name in names}, profile, seconds)
    out = arguments.out or DEFAULT_OUT / profile.name
    for path in write(report, results, out):
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
