"""Run one fuzz target under atheris (libFuzzer, coverage-guided), for a bounded time or count.

    python -m tests.fuzz.run TARGET [--seconds N | --runs N] [--corpus DIR] [--crashes DIR]

The corpus starts from every byte string in the shared vectors (tests/vectors),
so the fuzzer begins from real frames, events and genesis blocks. An input that
breaks a target's contract is written to the crashes directory (libFuzzer's
``crash-<sha1>`` files) and the run exits non-zero; keep it in
tests/fuzz/regressions/<target>/, where the suite replays it for ever.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import atheris

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
NAMES = ("frames", "handshake", "envelope", "governance", "genesis", "http")
PACKAGES = ("atopos_protocol", "atopos_client", "atopos_site", "rooms", "governance", "evidence")
REGRESSIONS = ROOT / "tests" / "fuzz" / "regressions"
MAX_LEN = 70_000  # past the largest frame the relay accepts (64 KiB)


def vector_blobs() -> Iterator[bytes]:
    """Every hex string of 4 bytes or more in the shared vectors."""

    def walk(value: Any) -> Iterator[bytes]:
        if isinstance(value, dict):
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)
        elif isinstance(value, str) and len(value) >= 8 and len(value) % 2 == 0:
            try:
                yield bytes.fromhex(value)
            except ValueError:
                return

    for path in sorted(VECTORS.glob("*.json")):
        yield from walk(json.loads(path.read_text(encoding="utf-8")))


def seed(corpus: Path, target: str) -> int:
    """Write the vectors' byte strings into ``corpus`` (with a selector byte in front of each,
    which most targets read first) and every kept regression input of ``target``, so each
    run replays them before it mutates anything; returns how many inputs are there."""
    corpus.mkdir(parents=True, exist_ok=True)
    kept = REGRESSIONS / target
    for path in sorted(kept.iterdir()) if kept.is_dir() else []:
        (corpus / path.name).write_bytes(path.read_bytes())
    for blob in vector_blobs():
        for selector in (0, 1):
            data = bytes([selector]) + blob
            (corpus / f"vector-{hashlib.sha1(data).hexdigest()}").write_bytes(data)  # noqa: S324 -- a file name
    return sum(1 for _ in corpus.iterdir())


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.run")
    parser.add_argument("target", choices=NAMES)
    bound = parser.add_mutually_exclusive_group(required=True)
    bound.add_argument("--seconds", type=int, help="stop after this long")
    bound.add_argument("--runs", type=int, help="stop after this many inputs")
    parser.add_argument("--corpus", type=Path, default=ROOT / "var" / "fuzz" / "corpus")
    parser.add_argument("--crashes", type=Path, default=ROOT / "var" / "fuzz" / "crashes")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = arguments(argv)
    corpus = args.corpus / args.target
    crashes = args.crashes / args.target
    target: Callable[[bytes], None]
    # Instrumented for coverage: the project's packages, imported here for the first time.
    with atheris.instrument_imports(include=[*PACKAGES]):
        if args.target == "http":
            from tests.fuzz import http

            http.prepare(args.corpus.parent / "site")
            target = http.routes
        else:
            from tests.fuzz.targets import TARGETS

            target = TARGETS[args.target]
    crashes.mkdir(parents=True, exist_ok=True)
    seed(corpus, args.target)
    bound = f"-max_total_time={args.seconds}" if args.seconds else f"-runs={args.runs}"
    libfuzzer = [
        sys.argv[0],
        str(corpus),
        bound,
        f"-artifact_prefix={crashes}/",
        f"-max_len={MAX_LEN}",
        "-timeout=10",
        "-rss_limit_mb=2048",
        "-print_final_stats=1",
    ]
    atheris.Setup(libfuzzer, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv[1:])
