"""C15: no invite ticket or member place can be double-spent, however many clients race for it.

Real Python clients race on the live site, all at once, for something scarce:

- a single-use invite ticket (30 racers) and a two-use one (15 racers): the
  relay appends REDEEM events with compare-and-set on the log's head, so
  exactly ``uses`` racers may get in; the rest are refused ``ticket-used``;
- a tenant's member cap (a tenant added with ``--max-members 4``; 12 racers
  into an open room): exactly the free places are taken, the rest are closed
  with 4009 (room-full);
- a room's own cap (SET_JOIN_RULE open, cap 3; 10 racers): the same, 4009;
- a ten-use ticket in an invite room capped at 3 (10 racers): the cap wins,
  the rest are refused ``room-full``.

Besides what the racers were told, the check reads what the server recorded:
the REDEEM events its log holds for the ticket, or the members holding a
place. Both must equal the number admitted, and never exceed the places.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import pytest

from atopos_client.connection import RoomClient
from atopos_client.link import split_link_url
from atopos_client.tickets import ticket_key
from atopos_protocol.frames import CloseCode
from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.payloads import Redeem, parse_payload
from atopos_protocol.join_rules import JoinRule
from evidence.check import CheckResult, could_not_run, judged
from tests.claims.live.recording import ROOMY_TENANTS as ROOMY
from tests.claims.live.wire import recording_python_clients
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence
from tests.claims.support.sockets import (
    ADMITTED,
    Tenant,
    add_tenant,
    client_outcome,
    close_label,
    members_holding,
    room_log,
)
from tests.support.live_clients import leave_all, settled

if TYPE_CHECKING:
    from tests.claims.live.recording import LiveEvidence

JOIN_TIMEOUT_S = 30.0
TENANT_CAP = 4
ROOM_CAP = 3
ROOM_FULL = close_label(CloseCode.ROOM_FULL)


@dataclass(frozen=True)
class Race:
    """One race: how many raced for how many places, and what each got."""

    name: str
    racers: int
    places: int  # ticket uses, or free places under the cap (the owner holds one)
    admitted: int
    refused: dict[str, int]  # reason (or close code) -> racers
    documented: str  # the refusal the protocol documents for this race
    recorded: int  # what the server recorded: REDEEMs for the ticket, joiners holding a place

    @property
    def key(self) -> str:
        return self.name.replace(" ", "_").replace("-", "_")


def judge(races: list[Race]) -> CheckResult:
    """PASS only if every race admitted exactly its places and refused the rest as documented."""
    violations: list[str] = []
    counts: dict[str, int] = {}
    for race in races:
        name, places = race.name, race.places
        if race.admitted > places:
            violations.append(
                f"{name}: {race.admitted} of {race.racers} racers admitted for {places} place(s)"
            )
        elif race.admitted < min(places, race.racers):
            violations.append(
                f"{name}: only {race.admitted} of {race.racers} racers admitted "
                f"though {places} place(s) were free"
            )
        if race.recorded > places:
            violations.append(f"{name}: the server recorded {race.recorded} grants for {places}")
        if race.recorded != race.admitted:
            violations.append(
                f"{name}: {race.admitted} racer(s) admitted but the server "
                f"recorded {race.recorded} grant(s)"
            )
        for reason, number in sorted(race.refused.items()):
            if reason != race.documented:
                violations.append(
                    f"{name}: {number} racer(s) ended with {reason}, "
                    f"not the documented {race.documented}"
                )
        unaccounted = race.racers - race.admitted - sum(race.refused.values())
        if unaccounted:
            violations.append(f"{name}: {unaccounted} racer(s) unaccounted for")
        counts[f"{race.key}_racers"] = race.racers
        counts[f"{race.key}_places"] = places
        counts[f"{race.key}_admitted"] = race.admitted
        counts[f"{race.key}_recorded"] = race.recorded
        for reason, number in race.refused.items():
            counts[f"{race.key}_refused_{reason.replace('-', '_')}"] = number
    if not races:
        return could_not_run("no race ran")
    details = {"races": [asdict(race) for race in races]}
    return judged(
        violations, counts,
        f"{len(races)} races: each admitted exactly its places, the rest refused as documented",
        "a ticket or a member place was spent more (or less) often than it allows",
        details,
    )  # fmt: skip


# Gathering ---------------------------------------------------------------------------


async def _race(link_url: str, racers: int) -> tuple[list[RoomClient], Counter[str]]:
    """``racers`` clients join with ``link_url`` all at once: the admitted, and the refusals."""

    async def racer(number: int) -> RoomClient:
        return await asyncio.wait_for(RoomClient.join(link_url, f"racer-{number}"), JOIN_TIMEOUT_S)

    results = await asyncio.gather(*(racer(n) for n in range(racers)), return_exceptions=True)
    admitted = [result for result in results if isinstance(result, RoomClient)]
    refused = Counter(client_outcome(r) for r in results if not isinstance(r, RoomClient))
    refused.pop(ADMITTED, None)
    return admitted, refused


def _redeems_logged(live: LiveEvidence, tenant: Tenant, room_id: bytes, ticket_pk: bytes) -> int:
    """How many REDEEM events of this ticket the room's log in Redis holds."""
    number = 0
    for raw in room_log(live, tenant, room_id):
        event = Event.decode(raw)
        if event.kind is EventKind.REDEEM:
            payload = parse_payload(event)
            number += isinstance(payload, Redeem) and payload.ticket_pk == ticket_pk
    return number


async def _ticket_race(
    live: LiveEvidence, tenant: Tenant, name: str, uses: int, racers: int, cap: int = 0
) -> Race:
    owner = await RoomClient.create(tenant.origin, "owner", join_rule=JoinRule.INVITE)
    admitted: list[RoomClient] = []
    try:
        if cap:
            await owner.send_frames(owner.session.set_join_rule(JoinRule.INVITE, cap))
            await settled(owner)
        url = await owner.invite(uses=uses)
        await settled(owner)
        admitted, refused = await _race(url, racers)
        ticket = split_link_url(url)[1].ticket
        if ticket is None:
            raise RuntimeError("the invite link carries no ticket")
        room_id = owner.session.keys.room_id
        recorded = _redeems_logged(live, tenant, room_id, ticket_key(ticket).public_key)
    finally:
        await leave_all([owner, *admitted])
    places = min(uses, cap - 1) if cap else uses
    documented = "room-full" if cap and cap - 1 < uses else "ticket-used"
    return Race(name, racers, places, len(admitted), dict(refused), documented, recorded)


async def _cap_race(
    live: LiveEvidence, tenant: Tenant, name: str, cap: int, racers: int, room_cap: int = 0
) -> Race:
    owner = await RoomClient.create(tenant.origin, "owner")
    admitted: list[RoomClient] = []
    try:
        if room_cap:
            await owner.send_frames(owner.session.set_join_rule(JoinRule.OPEN, room_cap))
            await settled(owner)
        admitted, refused = await _race(owner.link, racers)
        holding = members_holding(live, tenant, owner.session.keys.room_id)
    finally:
        await leave_all([owner, *admitted])
    places = min(cap, room_cap or cap) - 1
    return Race(name, racers, places, len(admitted), dict(refused), ROOM_FULL, holding - 1)


async def _gather(live: LiveEvidence) -> list[Race]:
    roomy = add_tenant(live, "races", *ROOMY)
    capped = add_tenant(live, "cap", *ROOMY, "--max-members", str(TENANT_CAP))
    return [
        await _ticket_race(live, roomy, "single-use ticket", uses=1, racers=30),
        await _ticket_race(live, roomy, "two-use ticket", uses=2, racers=15),
        await _cap_race(live, capped, "tenant member cap", cap=TENANT_CAP, racers=12),
        await _cap_race(live, roomy, "room cap", cap=60, racers=10, room_cap=ROOM_CAP),
        await _ticket_race(live, roomy, "ticket over room cap", uses=10, racers=10, cap=ROOM_CAP),
    ]


def run(ctx: Context) -> CheckResult:
    live = ctx.live()
    try:
        with recording_python_clients():
            races = asyncio.run(_gather(live))
    except Exception as error:  # reported: the check could not run
        return could_not_run(f"the races could not run on the live site: {type(error).__name__}")
    return judge(races)


pytestmark = pytest.mark.check(
    "Racing clients cannot double-spend a ticket or a member place", "runtime"
)


def test_ticket_and_cap_races(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))
