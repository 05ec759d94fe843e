"""Traces of the real governance code, abstracted for TLC (spec/GovernanceTrace.tla).

The recorder (tests/support/tla_traces.py) hands over, per chain of ``apply``
calls from a genesis, the genesis state and each step: the event's fields in
raw bytes, the code Python gave, and the state after. Here each trace becomes
plain values the spec's records hold: member keys ``k1, k2, ...`` in order of
appearance (the owner first), X25519 keys ``x1, ...``, tickets ``t1, ...``,
event ids ``e1, ...`` and times replaced by their ranks (the rules only
compare them). ``tla_module`` writes the traces as a TLA+ module: TLC 2.15
predates the Json community module, so traces travel as TLA+ values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from atopos_protocol.governance.state import MAX_MEMBERS, RoomState

# Codes of rules the spec abstracts away (PROTOCOL §8.3; spec/README.md): a step
# refused with one of these is left out of its trace (a refusal moves no state,
# though a wrong refusal of these kinds would go unseen).
UNMODELLED_CODES = frozenset({"wrong-room", "log-full"})
# Traces longer or wider than this are left out: TLC's work is linear in them,
# but a 2,048-event log (the log-full tests) adds nothing the short ones lack.
MAX_STEPS = 80
MAX_KEYS = 40
EVENT_FIELDS = (
    "kind",
    "id",
    "parent",
    "author",
    "target",
    "xkey",
    "ticket",
    "uses",
    "exp",
    "time",
    "rule",
    "cap",
    "counter",
    "kick",
    "recipients",
    "proof",
    "sigok",
    "point",
    "distinct",
)


class StepLike(Protocol):
    event: dict[str, Any]
    code: str
    after: RoomState | None


@dataclass
class Names:
    """Stable short names for one trace's keys, tickets, events and times."""

    kinds: dict[str, dict[Any, str]] = field(default_factory=dict)
    times: dict[int, int] = field(default_factory=dict)

    def name(self, kind: str, value: Any) -> str:
        table = self.kinds.setdefault(kind, {})
        if value not in table:
            table[value] = f"{kind}{len(table) + 1}"
        return table[value]

    def keys(self) -> int:
        return len(self.kinds.get("k", {}))


def _time_ranks(steps: list[StepLike], start: RoomState) -> dict[int, int]:
    values = {step.event[name] for step in steps for name in ("exp", "time") if name in step.event}
    for step in steps:
        if step.after is not None:
            values |= {invite.expires_at_ms for invite in step.after.invites.values()}
    return {value: rank for rank, value in enumerate(sorted(values), start=1)}


def _state(state: RoomState, names: Names, sealed: frozenset[str]) -> dict[str, Any]:
    def key(value: bytes) -> str:
        return names.name("k", value)

    return {
        "owner": key(state.owner),
        "admins": [key(admin) for admin in state.admins],
        "members": sorted(key(member) for member in state.members),
        "xkeys": {key(member): names.name("x", x) for member, x in state.x_keys.items()},
        "removed": sorted(key(member) for member in state.removed),
        "rule": state.join_rule.value,
        "cap": state.cap,
        "locked": state.locked,
        "ended": state.ended,
        "invites": {
            names.name("t", ticket): {
                "uses": invite.uses,
                "used": invite.used,
                "exp": names.times[invite.expires_at_ms],
                "revoked": invite.revoked,
            }
            for ticket, invite in state.invites.items()
        },
        "epoch": state.epoch,
        "pendingKick": "none"
        if state.pending_kick is None
        else names.name("e", state.pending_kick),
        "sealed": sorted(sealed),
    }


def _kick_name(kick: bytes | None, names: Names) -> str:
    return "none" if kick is None else names.name("e", kick)


def _event(fields: dict[str, Any], names: Names) -> dict[str, Any]:
    event: dict[str, Any] = {
        "kind": fields["kind"],
        "id": names.name("e", fields["id"]),
        "parent": "none",
        "author": names.name("k", fields["author"]),
        "target": "none",
        "xkey": "none",
        "ticket": "none",
        "uses": fields.get("uses", 0),
        "exp": 0,
        "time": 0,
        "rule": fields.get("rule") or "none",
        "cap": fields.get("cap", 0),
        "counter": fields.get("counter", 0),
        "kick": "none",
        "recipients": [],
        "proof": fields.get("proof", True),
        "sigok": fields.get("sigok", True),
        "point": fields.get("point", True),
        "distinct": True,
    }
    if "target" in fields:
        event["target"] = names.name("k", fields["target"])
    if "xkey" in fields:
        event["xkey"] = names.name("x", fields["xkey"])
    if "ticket" in fields:
        event["ticket"] = names.name("t", fields["ticket"])
    for time_field in ("exp", "time"):
        if time_field in fields:
            event[time_field] = names.times[fields[time_field]]
    if "kick" in fields:
        event["kick"] = names.name("e", fields["kick"])
    if "recipients" in fields:
        recipients = fields["recipients"]
        event["recipients"] = sorted({names.name("k", key) for key in recipients})
        event["distinct"] = len(set(recipients)) == len(recipients) <= MAX_MEMBERS
    return event


def abstract_trace(start: RoomState, steps: list[StepLike]) -> dict[str, Any] | None:
    """One trace in the spec's values, or None when it is outside the checked sizes."""
    kept = [step for step in steps if step.code not in UNMODELLED_CODES]
    if not kept or len(kept) > MAX_STEPS:
        return None
    names = Names()
    names.times = _time_ranks(kept, start)
    names.name("k", start.owner)
    sealed: frozenset[str] = frozenset()
    state = start
    out_steps = []
    begin = _state(start, names, sealed)
    for step in kept:
        event = _event(step.event, names)
        if step.code == "ok" and step.after is not None:
            state = step.after
            if event["kind"] == "REKEY":
                sealed = frozenset(event["recipients"]) | {event["author"]}
            elif event["kind"] == "KEYSHARE":
                sealed = sealed | {event["target"]}
        out_steps.append({"event": event, "code": step.code, "state": _state(state, names, sealed)})
    if names.keys() > MAX_KEYS:
        return None
    return {"start": begin, "steps": out_steps}


def abstract_traces(raw: Iterable[tuple[RoomState, list[StepLike], str]]) -> list[dict[str, Any]]:
    """Every distinct trace, longest first, none a prefix of another, each with the tests
    that produced it (``sources``)."""
    unique: dict[str, dict[str, Any]] = {}
    for start, steps, source in raw:
        trace = abstract_trace(start, steps)
        if trace is not None:
            kept_trace = unique.setdefault(json.dumps(trace, sort_keys=True), trace)
            kept_trace.setdefault("sources", set()).add(source)
    ordered = sorted(unique.items(), key=lambda item: -len(item[1]["steps"]))
    kept: list[dict[str, Any]] = []
    prefixes: dict[str, dict[str, Any]] = {}
    for text, trace in ordered:
        longer = prefixes.get(text)
        if longer is not None:
            longer["sources"] |= trace["sources"]  # its tests walked a prefix of the longer one
            continue
        kept.append(trace)
        for length in range(len(trace["steps"])):
            prefix = {"start": trace["start"], "steps": trace["steps"][:length]}
            prefixes.setdefault(json.dumps(prefix, sort_keys=True), trace)
    return [{**trace, "sources": sorted(trace["sources"])} for trace in kept]


# TLA+ values ---------------------------------------------------------------------


def tla_value(value: Any) -> str:
    """A JSON-shaped value as a TLA+ expression: lists of steps and admins are sequences,
    the set-valued fields are sets, objects are records (or the empty function)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, TlaSet):
        return "{" + ", ".join(tla_value(item) for item in value.items) + "}"
    if isinstance(value, list):
        return "<<" + ", ".join(tla_value(item) for item in value) + ">>"
    if isinstance(value, dict):
        if not value:
            return "<<>>"
        return (
            "[" + ", ".join(f"{name} |-> {tla_value(item)}" for name, item in value.items()) + "]"
        )
    raise TypeError(f"no TLA+ form for {value!r}")


@dataclass(frozen=True)
class TlaSet:
    items: tuple[Any, ...]


_SET_FIELDS = frozenset({"members", "removed", "sealed", "recipients"})


def _with_sets(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            name: TlaSet(tuple(item)) if name in _SET_FIELDS else _with_sets(item)
            for name, item in value.items()
        }
    if isinstance(value, list):
        return [_with_sets(item) for item in value]
    return value


def tla_module(name: str, traces: list[dict[str, Any]]) -> str:
    """A module defining ``Traces``, the sequence of traces, for GovernanceTrace.tla."""
    body = ",\n  ".join(tla_value(_with_sets(trace)) for trace in _ordered_fields(traces))
    return (
        f"---- MODULE {name} ----\n"
        "\\* Generated by evidence/spec_traces.py from a recorded test run: do not edit.\n"
        f"Traces == <<\n  {body}\n>>\n"
        "====\n"
    )


def _ordered_fields(traces: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for trace in traces:
        yield {
            "start": trace["start"],
            "steps": [
                {
                    "event": {name: step["event"][name] for name in EVENT_FIELDS},
                    "code": step["code"],
                    "state": step["state"],
                }
                for step in trace["steps"]
            ],
        }
