"""Record what the real governance code does, as traces TLC checks against the spec.

Loaded only by ``make spec`` (``pytest -p tests.support.tla_traces``): it wraps
``atopos_protocol.governance.state.apply`` wherever it was imported, runs the
scripted, attack and property-based tests unchanged, and follows every state
from a room's genesis through each ``apply`` call: an accepted event moves the
state, a refused one is kept with the code the Python rule gave. Each chain
from a genesis is a trace; ``evidence.spec_traces`` abstracts them (keys become
``k1``, ``k2``..., times become their ranks) and spec/GovernanceTrace.tla checks
that every accepted step is the spec's ``After`` and every refusal the spec's
``Code``.

The file named by ``--tla-traces`` receives the traces as JSON.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from atopos_protocol.binding import link_sig_valid, x25519_usable
from atopos_protocol.governance import state as state_module
from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.events import Event
from atopos_protocol.governance.payloads import (
    Admit,
    Bind,
    Invite,
    KeyShare,
    Kick,
    Redeem,
    Rekey,
    RevokeInvite,
    SetJoinRule,
    Target,
    parse_payload,
)
from atopos_protocol.governance.state import RoomState
from atopos_protocol.governance.tickets import redeem_valid
from atopos_protocol.signatures import is_valid_point
from evidence.spec_traces import abstract_traces

# Modules that imported ``apply`` by name: each gets the recording wrapper.
_HOLDERS = (
    "atopos_protocol.governance.state",
    "atopos_protocol.governance.forkchoice",
    "atopos_client.membership",
    "atopos_client.outbox",
    "governance.rules",
)


@dataclass(frozen=True, slots=True)
class Step:
    """One call of ``apply``: the event, and the state after it or the refusal code."""

    event: dict[str, Any]
    code: str
    after: RoomState | None


@dataclass(slots=True)
class Node:
    """A state reached from a genesis: the steps that led to it (a linked list)."""

    start: RoomState
    parent: Node | None
    step: Step | None
    source: str  # the test that reached it
    children: int = 0

    def steps(self) -> list[Step]:
        node: Node | None = self
        found = []
        while node is not None and node.step is not None:
            found.append(node.step)
            node = node.parent
        return found[::-1]


def event_fields(state: RoomState, event: Event) -> dict[str, Any]:
    """Everything the spec's event record holds, in raw bytes (abstracted later)."""
    payload = parse_payload(event)
    fields: dict[str, Any] = {"kind": event.kind.name, "id": event.id, "author": event.author}
    if isinstance(payload, Admit):
        fields.update(target=payload.member, xkey=payload.x_pk)
        fields["proof"] = payload.binding.valid(state.room_id, state.auth_pk, payload.member)
        fields["point"] = is_valid_point(payload.member)
    elif isinstance(payload, Bind):
        fields["xkey"] = payload.x_pk
        sig = link_sig_valid(
            state.auth_pk, state.room_id, event.author, payload.x_pk, payload.link_sig
        )
        fields["proof"] = x25519_usable(payload.x_pk) and sig
    elif isinstance(payload, Redeem):
        fields.update(ticket=payload.ticket_pk, xkey=payload.x_pk, time=payload.time_ms)
        fields["proof"] = x25519_usable(payload.x_pk)
        fields["sigok"] = redeem_valid(
            payload.ticket_pk,
            payload.ticket_signature,
            event.room_id,
            event.author,
            payload.x_pk,
            payload.time_ms,
        )
    elif isinstance(payload, Invite):
        fields.update(ticket=payload.ticket_pk, uses=payload.uses, exp=payload.expires_at_ms)
        fields["point"] = is_valid_point(payload.ticket_pk)
    elif isinstance(payload, RevokeInvite):
        fields["ticket"] = payload.ticket_pk
    elif isinstance(payload, Kick):
        fields["target"] = payload.target
        fields["rule"] = None if payload.new_rule is None else payload.new_rule.value
    elif isinstance(payload, Target):
        fields["target"] = payload.target
    elif isinstance(payload, SetJoinRule):
        fields.update(rule=payload.rule.value, cap=payload.cap)
    elif isinstance(payload, Rekey):
        fields.update(counter=payload.counter, kick=payload.kick_id)
        fields["recipients"] = [entry.recipient for entry in payload.entries]
    elif isinstance(payload, KeyShare):
        fields.update(
            target=payload.recipient, xkey=payload.recipient_x_pk, counter=payload.counter
        )
    return fields


@dataclass
class Recorder:
    """Every state reached from a genesis, by the object ``apply`` returned."""

    test: str = ""  # the test running now (pytest's node id)
    nodes: dict[int, Node] = field(default_factory=dict)
    keep: list[RoomState] = field(default_factory=list)  # ids stay unique while we look
    leaves: list[Node] = field(default_factory=list)

    def node_for(self, state: RoomState) -> Node | None:
        node = self.nodes.get(id(state))
        if node is None and state.log_events == 0 and not state.members - {state.owner}:
            node = self.nodes[id(state)] = Node(state, None, None, self.test)
            self.keep.append(state)
        return node

    def record(self, state: RoomState, event: Event, after: RoomState | None, code: str) -> None:
        node = self.node_for(state)
        if node is None:
            return  # a state built by hand, not from a genesis: no trace to follow
        try:
            fields = event_fields(state, event)
        except GovernanceError:
            return  # a payload that does not parse: `malformed`, outside the model
        child = Node(node.start, node, Step(fields, code, after), node.source)
        node.children += 1
        self.leaves.append(child)
        if after is not None:
            self.nodes[id(after)] = child
            self.keep.append(after)
        else:
            self.nodes[id(state)] = child  # what follows from this state includes the refusal

    def traces(self) -> Iterator[tuple[RoomState, list[Step], str]]:
        for leaf in self.leaves:
            if leaf.children == 0:
                yield leaf.start, leaf.steps(), leaf.source


def _wrap(
    original: Callable[[RoomState, Event], RoomState], recorder: Recorder
) -> Callable[..., RoomState]:
    def apply(state: RoomState, event: Event) -> RoomState:
        try:
            after = original(state, event)
        except GovernanceError as error:
            recorder.record(state, event, None, error.code)
            raise
        recorder.record(state, event, after, "ok")
        return after

    return apply


@contextmanager
def recording() -> Iterator[Recorder]:
    """Every ``apply`` call while inside, wherever ``apply`` was imported, is recorded."""
    recorder = Recorder()
    original = state_module.apply
    wrapped = _wrap(original, recorder)
    holders = []
    for name in _HOLDERS:
        module = importlib.import_module(name)
        if getattr(module, "apply", None) is original:
            module.apply = wrapped  # type: ignore[attr-defined]
            holders.append(module)
    try:
        yield recorder
    finally:
        for module in holders:
            module.apply = original  # type: ignore[attr-defined]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--tla-traces", help="write the recorded governance traces here (JSON)")


def pytest_configure(config: pytest.Config) -> None:
    stack = ExitStack()
    config.stash[_RECORDING] = (stack, stack.enter_context(recording()))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.config.stash[_RECORDING][1].test = item.nodeid


def pytest_unconfigure(config: pytest.Config) -> None:
    stack, recorder = config.stash[_RECORDING]
    stack.close()
    target = config.getoption("--tla-traces")
    if not target:
        return
    traces = abstract_traces(recorder.traces())
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text(json.dumps(traces, indent=1, sort_keys=True) + "\n")


_RECORDING = pytest.StashKey[tuple[ExitStack, Recorder]]()
