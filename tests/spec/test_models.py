"""The formal models: every broken variant fails with its invariant, and the trace
check fails on a trace that stops matching the spec part way (spec/README.md).

The correct models take minutes and run in `make spec` (CI runs it after
`make test`); each broken variant and witness is found in seconds.
"""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from atopos_protocol.governance.forkchoice import resolve
from atopos_protocol.join_rules import JoinRule
from evidence.spec_traces import abstract_traces
from evidence.tlc import Model, check, check_traces, models
from tests.governance.builders import Actor, Log, admitted, chain, make_room
from tests.support.tla_traces import recording

MUST_FAIL = [model for model in models() if model.expect != "pass"]

# TLC needs Java (Debian's default-jre-headless, which .ci/run installs).
pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="java is not installed")


@pytest.mark.parametrize("model", MUST_FAIL, ids=[model.name for model in MUST_FAIL])
def test_each_broken_variant_and_witness_violates_its_named_invariant(model: Model) -> None:
    outcome, output = check(model)

    assert outcome.result == f"violated:{model.expect}", output[-3000:]
    assert outcome.tlc_version.startswith("2.15")


def test_every_configuration_in_models_toml_exists_and_the_correct_ones_are_listed() -> None:
    spec = Path(__file__).resolve().parents[2] / "spec"
    listed = {model.config for model in models()}

    assert all((spec / config).is_file() for config in listed)
    assert {path.name for path in spec.glob("*.cfg")} - listed == {"GovernanceTrace.cfg"}
    assert {"Governance.cfg", "GovernanceTexts.cfg"} <= {
        model.config for model in models() if model.expect == "pass"
    }


alice, bob, mallory = Actor.named("alice"), Actor.named("bob"), Actor.named("mallory")


def _recorded_traces() -> list[dict[str, Any]]:
    """A scripted room through the real resolve(): admissions, a promotion, a kick; then on
    sibling branches Mallory kicking after her removal, Bob promoting himself, and the
    lock and end, which the merge rule takes first (so the other two meet an ended room)."""
    room = make_room("spec-trace", JoinRule.APPROVAL)
    log, owner = Log(room), room.owner
    events = chain(log, [
        *admitted(log, alice, bob, mallory),
        lambda parent: log.promote(owner, alice, parent),
        lambda parent: log.kick(alice, mallory, parent),
    ])  # fmt: skip
    kicked = events[-1].id
    refused = [log.kick(mallory, bob, kicked), log.promote(bob, bob, kicked)]
    locked = log.lock(alice, kicked)
    ended = log.end(owner, locked.id)
    with recording() as recorder:
        resolve(room.genesis, [event.raw for event in [*events, *refused, locked, ended]])
    return abstract_traces(recorder.traces())


def test_a_real_trace_of_the_python_rules_is_a_behaviour_of_the_spec(tmp_path: Path) -> None:
    traces = _recorded_traces()

    outcome, output = check_traces(traces, tmp_path)

    assert [(step["event"]["kind"], step["code"]) for step in traces[0]["steps"]] == [
        ("ADMIT", "ok"), ("ADMIT", "ok"), ("ADMIT", "ok"), ("PROMOTE", "ok"), ("KICK", "ok"),
        ("LOCK", "ok"), ("END_ROOM", "ok"), ("KICK", "room-ended"), ("PROMOTE", "room-ended"),
    ]  # fmt: skip
    assert outcome.result == "pass", output[-3000:]
    assert outcome.distinct_states == sum(len(trace["steps"]) + 1 for trace in traces)


def _deadlocked_at(output: str) -> int:
    """The position TLC stopped at (the last state of the error trace)."""
    return int(re.findall(r"/\\ i = (\d+)", output)[-1])


def test_a_trace_whose_state_stops_matching_part_way_fails_at_that_step(tmp_path: Path) -> None:
    traces = copy.deepcopy(_recorded_traces())
    # Step 5 (Alice kicks Mallory): pretend Python kept Mallory listed.
    traces[0]["steps"][4]["state"]["members"].append("k4")

    outcome, output = check_traces(traces, tmp_path)

    assert outcome.result == "deadlock"
    assert _deadlocked_at(output) == 4


def test_a_trace_where_python_accepts_what_the_spec_refuses_fails(tmp_path: Path) -> None:
    traces = copy.deepcopy(_recorded_traces())
    refused = next(i for i, step in enumerate(traces[0]["steps"]) if step["code"] != "ok")
    # Mallory's kick after her removal: pretend Python had let it through.
    traces[0]["steps"][refused]["code"] = "ok"

    outcome, output = check_traces(traces, tmp_path)

    assert outcome.result == "deadlock"
    assert _deadlocked_at(output) == refused


def test_a_trace_validation_that_walks_nothing_is_not_a_pass(tmp_path: Path) -> None:
    traces = _recorded_traces()
    # A trace check whose traces never start (a bad genesis) must not read as a pass.
    traces[0]["start"]["members"] = []

    outcome, _ = check_traces(traces, tmp_path)

    assert outcome.result != "pass"


def test_a_trace_check_with_no_traces_is_not_a_pass(tmp_path: Path) -> None:
    outcome, _ = check_traces([], tmp_path)

    assert outcome.result != "pass"
