"""The fuzz targets hold their contracts on every kept input, can fail, and survive a bounded run.

`make fuzz` runs each target for minutes; here each gets a short coverage-guided
run (tests/fuzz/run.py under atheris), so every `make test` fuzzes a little.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponseServerError
from django.test import Client

from tests.conftest import make_tenant
from tests.fuzz import http, run, targets

REGRESSIONS = Path(__file__).with_name("regressions")
DECODERS = tuple(targets.TARGETS)
# A request costs far more than a decode: fewer of them in the same few seconds.
BOUNDED_RUNS = {**dict.fromkeys(DECODERS, 30_000), "http": 3_000}


def kept_inputs(target: str) -> list[bytes]:
    """The vectors' byte strings (as the corpus is seeded) and every input a crash left behind."""
    seeds = [bytes([selector]) + blob for blob in run.vector_blobs() for selector in (0, 1)]
    kept = sorted((REGRESSIONS / target).glob("*")) if (REGRESSIONS / target).is_dir() else []
    return seeds + [path.read_bytes() for path in kept]


@pytest.mark.parametrize("name", DECODERS)
def test_every_kept_input_holds_the_targets_contract(name: str) -> None:
    inputs = kept_inputs(name)
    assert len(inputs) > 100
    for data in inputs:
        targets.TARGETS[name](data)


# A decoder that fails in a way its contract does not allow must surface, not be swallowed.
BROKEN = {
    "frames": "classify_client_frame",
    "handshake": "check_create",
    "envelope": "open_envelope",
    "governance": "parse_payload",
    "genesis": "Genesis",
}


@pytest.mark.parametrize("name", DECODERS)
def test_a_decoder_that_crashes_fails_its_target(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        def __call__(self, *args: object, **kwargs: object) -> None:
            raise IndexError("seeded")

        decode = __call__

    monkeypatch.setattr(targets, BROKEN[name], Broken())
    crashed = [data for data in kept_inputs(name) if _raises_index_error(name, data)]

    assert crashed


def _raises_index_error(name: str, data: bytes) -> bool:
    try:
        targets.TARGETS[name](data)
    except IndexError:
        return True
    return False


def test_the_targets_are_the_runners() -> None:
    assert {*targets.TARGETS, "http"} == set(run.NAMES)


@pytest.fixture
def site(db: None) -> None:
    make_tenant("default", ["localhost", "127.0.0.1"])


def test_every_kept_input_gets_an_http_answer_below_500(site: None) -> None:
    for data in kept_inputs("http")[:300]:
        http.routes(data)


def test_an_answer_of_500_fails_the_http_target(
    site: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Client, "generic", lambda *args, **kwargs: HttpResponseServerError())

    with pytest.raises(AssertionError, match="answered 500"):
        http.routes(b"\x00" * 64)


@pytest.mark.parametrize("name", run.NAMES)
def test_each_target_survives_a_bounded_fuzzing_run(name: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.run", name, "--runs", str(BOUNDED_RUNS[name]),
         "--corpus", str(tmp_path / "corpus"), "--crashes", str(tmp_path / "crashes")],
        cwd=run.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    executed = re.search(r"stat::number_of_executed_units:\s+(\d+)", result.stderr)
    assert executed is not None
    assert int(executed.group(1)) >= BOUNDED_RUNS[name]
    assert list((tmp_path / "crashes" / name).iterdir()) == []
