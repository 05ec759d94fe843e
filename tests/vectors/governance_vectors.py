"""Governance vectors: events, merges of forked sets, tickets, re-keys and key shares."""

from __future__ import annotations

from typing import Any

from governance.events import Event, EventKind
from governance.forkchoice import resolve
from governance.join_rules import JoinRule
from governance.payloads import Rekey, RekeyEntry
from governance.phrase import safety_phrase
from governance.rekey import Recipient, build_keyshare, build_rekey
from governance.tickets import sign_redeem, ticket_key
from rooms.protocol.keys import EpochKeys
from tests.governance.builders import Actor, Log, fixed, make_room

NAMES = ("owner", "ada", "ben", "cy", "dee")
REDEEM_TIME = 1_800_000_000_000


def invalid(name: str, raw: bytes, error: str) -> dict[str, str]:
    return {"name": name, "raw": raw.hex(), "error": error}


def hx(data: bytes) -> str:
    return data.hex()


def name_of(key: bytes) -> str:
    """The actor name of a member key."""
    return next(name for name in NAMES if Actor.named(name).pk == key)


def build() -> dict[str, Any]:
    room = make_room("vectors", JoinRule.APPROVAL)
    log = Log(room)
    owner, ada, ben, cy, dee = (Actor.named(name) for name in NAMES)
    ticket, ticket2 = fixed("ticket/one"), fixed("ticket/two")
    named: dict[str, Event] = {}

    def add(name: str, event: Event) -> Event:
        named[name] = event
        return event

    root = room.root
    ada_up = add("promote-ada", log.promote(owner, ada, root))
    ben_up = add("promote-ben", log.promote(owner, ben, ada_up.id))
    add("ada-kicks-ben", log.kick(ada, ben, ben_up.id))
    add("ben-kicks-ada", log.kick(ben, ada, ben_up.id))
    add("owner-kicks-ada", log.kick(owner, ada, ada_up.id))
    ada_admits_cy = add("ada-admits-cy", log.admit(ada, cy, ada_up.id))
    add("ada-promotes-cy", log.promote(ada, cy, ada_admits_cy.id))
    invite = add("invite-one-use", log.invite(owner, ticket, root, uses=1))
    add("ada-redeems", log.redeem(ada, ticket, invite.id))
    add("ben-redeems", log.redeem(ben, ticket, invite.id))
    add("lock", log.lock(owner, root))
    add("owner-admits-dee", log.admit(owner, dee, root))
    add("end", log.end(owner, root))
    add("owner-promotes-dee", log.promote(owner, dee, root))
    add("ada-admits-dee-after-promotion", log.admit(ada, dee, ada_up.id))
    invite2 = add("invite-two-uses", log.invite(owner, ticket2, root, uses=2))
    add("cy-redeems-two", log.redeem(cy, ticket2, invite2.id))
    add("revoke-two", log.revoke(owner, ticket2, invite2.id))
    add("orphan", log.admit(owner, cy, fixed("unknown parent")))
    add("cy-admits-ben", log.admit(cy, ben, root))

    # Kick and re-key: the owner removes Ben, then re-keys to Ada; a replayed
    # bundle, a bundle by a non-admin and one to the removed member fail.
    epoch0 = EpochKeys.from_secret(fixed("epoch0"), 0)
    kick = add("owner-kicks-ben", log.kick(owner, ben, ada_up.id, JoinRule.INVITE))
    rekey, epoch1 = build_rekey(
        room.room_id, epoch0, kick.id, owner.keys.x_secret, [Recipient(ada.pk, ada.x_pk)],
        fresh=fixed("rekey/fresh"), ephemeral_secret=fixed("rekey/ephemeral"),
        nonces=[fixed("rekey/nonce", 24)],
    )  # fmt: skip
    add("rekey", log.event(owner, EventKind.REKEY, kick.id, rekey.encode()))
    add("rekey-by-member", log.event(cy, EventKind.REKEY, kick.id, rekey.encode()))
    ben_entry = RekeyEntry(ben.pk, bytes(24), bytes(48))
    to_ben = Rekey(rekey.kick_id, rekey.counter, rekey.confirm, rekey.ephemeral_pk,
                   rekey.admin_x_pk, (*rekey.entries, ben_entry))  # fmt: skip
    add("rekey-to-kicked", log.event(owner, EventKind.REKEY, kick.id, to_ben.encode()))
    add("rekey-again", log.event(owner, EventKind.REKEY, named["rekey"].id, rekey.encode()))
    add("ben-acts-after-kick", log.admit(ben, cy, kick.id))
    first_admit = add("owner-admits-cy", log.admit(owner, cy, root))
    add("owner-admits-cy-again", log.admit(owner, cy, first_admit.id))
    share = build_keyshare(
        room.room_id, epoch1, owner.keys.x_secret, Recipient(dee.pk, dee.x_pk),
        ephemeral_secret=fixed("share/ephemeral"), nonce=fixed("share/nonce", 24),
    )  # fmt: skip

    lock = named["lock"].raw
    tampered = bytearray(named["promote-ada"].raw)
    tampered[-1] ^= 1
    scenarios = {
        "honest-chain": ["promote-ada", "promote-ben", "ada-kicks-ben"],
        "mutual-kicks": ["promote-ada", "promote-ben", "ben-kicks-ada", "ada-kicks-ben"],
        "removed-admin-branch": ["promote-ada", "owner-kicks-ada", "ada-admits-cy",
                                 "ada-promotes-cy"],
        "ticket-on-two-branches": ["invite-one-use", "ben-redeems", "ada-redeems"],
        "admission-after-lock": ["owner-admits-dee", "lock"],
        "events-after-end": ["owner-promotes-dee", "end"],
        "revoke-beats-redeem": ["invite-two-uses", "cy-redeems-two", "revoke-two"],
        "member-cannot-admit": ["cy-admits-ben"],
        "orphan-waits": ["orphan", "promote-ada"],
        "replayed-event": ["promote-ada", "promote-ada"],
        "kick-and-rekey": ["promote-ada", "owner-kicks-ben", "rekey", "rekey-by-member",
                           "rekey-to-kicked", "rekey-again"],
        "rekey-to-removed": ["promote-ada", "owner-kicks-ben", "rekey-to-kicked"],
        "kicked-member-acts": ["promote-ada", "owner-kicks-ben", "ben-acts-after-kick"],
        "replayed-admission": ["owner-admits-cy", "owner-admits-cy-again"],
    }  # fmt: skip
    out_scenarios = []
    by_id = {event.id: name for name, event in named.items()}
    for name, order in scenarios.items():
        result = resolve(room.genesis, [named[item].raw for item in order])
        state = result.state
        out_scenarios.append(
            {
                "name": name,
                "events": order,
                "accepted": [by_id[event.id] for event in result.accepted],
                "rejected": {by_id[i]: code for i, code in sorted(result.rejected.items())},
                "orphans": sorted(by_id[i] for i in result.orphans),
                "head": hx(result.head),
                "forked": result.forked,
                "state_hash": hx(state.state_hash),
                "phrase": safety_phrase(state.state_hash),
                "state": {
                    "admins": [
                        NAMES[[Actor.named(n).pk for n in NAMES].index(a)] for a in state.admins
                    ],
                    "members": sorted(
                        NAMES[[Actor.named(n).pk for n in NAMES].index(m)] for m in state.members
                    ),
                    "removed": sorted(
                        NAMES[[Actor.named(n).pk for n in NAMES].index(m)] for m in state.removed
                    ),
                    "join_rule": state.join_rule.value,
                    "locked": state.locked,
                    "ended": state.ended,
                    "epoch": state.epoch,
                },
            }
        )
    return {
        "description": "Governance events and merges (PROTOCOL §8). 'scenarios' list event "
        "names in arrival order; a member resolving them must reach exactly 'expected'.",
        "genesis": hx(room.genesis.raw),
        "actors": {
            name: {
                "ed_seed": hx(actor.keys.ed_seed),
                "x_secret": hx(actor.keys.x_secret),
                "ed_pk": hx(actor.pk),
                "x_pk": hx(actor.x_pk),
            }
            for name, actor in ((n, Actor.named(n)) for n in NAMES)
        },
        "events": {
            name: {"raw": hx(event.raw), "id": hx(event.id)} for name, event in named.items()
        },
        "invalid_events": [
            invalid("tampered-signature", bytes(tampered), "bad-signature"),
            invalid("truncated", lock[:40], "event-malformed"),
            invalid("unknown-kind", b"\x01\x63" + lock[2:], "event-malformed"),
            invalid("future-version", b"\x02" + lock[1:], "event-malformed"),
        ],
        "scenarios": out_scenarios,
        "tickets": {
            "secret": hx(ticket),
            "public_key": hx(ticket_key(ticket).public_key),
            "redeem_time_ms": REDEEM_TIME,
            "redeem_signature": hx(
                sign_redeem(ticket, room.room_id, ada.pk, ada.x_pk, REDEEM_TIME)
            ),
        },
        "rekey": {
            "epoch0_secret": hx(epoch0.secret),
            "kick_id": hx(kick.id),
            "payload": hx(rekey.encode()),
            "recipient": "ada",
            "epoch1_secret": hx(epoch1.secret),
            "epoch1_id": hx(epoch1.epoch_id),
            "keyshare_payload": hx(share.encode()),
            "keyshare_recipient": "dee",
        },
    }
