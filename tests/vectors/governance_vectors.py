"""Governance vectors: events, merges of forked sets, tickets, re-keys and key shares."""

from __future__ import annotations

from typing import Any

from atopos_client.keys import EpochKeys
from atopos_client.phrase import safety_phrase
from atopos_client.rekey import Recipient, build_keyshare, build_rekey
from atopos_client.tickets import sign_redeem, ticket_key
from atopos_protocol.binding import Binding, sign_member
from atopos_protocol.governance.events import Event, EventKind
from atopos_protocol.governance.forkchoice import resolve
from atopos_protocol.governance.payloads import Rekey, RekeyEntry
from atopos_protocol.join_rules import JoinRule
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

    # Ada and Ben are let in first: only listed members can be promoted, kicked or re-keyed.
    admitted_ada = add("admit-ada", log.admit(owner, ada, room.root))
    base = add("admit-ben", log.admit(owner, ben, admitted_ada.id)).id
    ada_up = add("promote-ada", log.promote(owner, ada, base))
    ben_up = add("promote-ben", log.promote(owner, ben, ada_up.id))
    add("ada-kicks-ben", log.kick(ada, ben, ben_up.id))
    add("ben-kicks-ada", log.kick(ben, ada, ben_up.id))
    add("owner-kicks-ada", log.kick(owner, ada, ada_up.id))
    ada_admits_cy = add("ada-admits-cy", log.admit(ada, cy, ada_up.id))
    add("ada-promotes-cy", log.promote(ada, cy, ada_admits_cy.id))
    invite = add("invite-one-use", log.invite(owner, ticket, base, uses=1))
    add("cy-redeems", log.redeem(cy, ticket, invite.id))
    add("dee-redeems", log.redeem(dee, ticket, invite.id))
    add("lock", log.lock(owner, base))
    add("owner-admits-dee", log.admit(owner, dee, base))
    add("end", log.end(owner, base))
    add("owner-promotes-ben", log.promote(owner, ben, base))
    add("ada-admits-dee-after-promotion", log.admit(ada, dee, ada_up.id))
    invite2 = add("invite-two-uses", log.invite(owner, ticket2, base, uses=2))
    add("cy-redeems-two", log.redeem(cy, ticket2, invite2.id))
    add("revoke-two", log.revoke(owner, ticket2, invite2.id))
    add("orphan", log.admit(owner, cy, fixed("unknown parent")))
    add("ben-admits-dee", log.admit(ben, dee, base))
    add("owner-promotes-dee", log.promote(owner, dee, base))
    add("owner-kicks-dee", log.kick(owner, dee, base))
    # Bindings: a relay cannot invent a newcomer (no link signature) nor move a key.
    forged = Binding(cy.x_pk, sign_member(dee.signer, room.room_id, cy.x_pk),
                     log.binding(cy).link_sig)  # fmt: skip
    add("admit-cy-forged-binding", log.admit(owner, cy, base, forged))
    other = make_room("another room", JoinRule.OPEN)
    stranger = Binding.make(cy.signer, other.auth, room.room_id, cy.x_pk)
    add("admit-cy-without-link", log.admit(owner, cy, base, stranger))
    add("cy-binds-in-approval-room", log.bind(cy, base))
    opened = add("open-room", log.set_rule(owner, JoinRule.OPEN, base))
    add("cy-binds", log.bind(cy, opened.id))
    add("cy-binds-without-link", log.bind(cy, opened.id, auth=other.auth))

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
    dee_entry = RekeyEntry(dee.pk, bytes(24), bytes(48))
    to_dee = Rekey(rekey.kick_id, rekey.counter, rekey.confirm, rekey.ephemeral_pk,
                   rekey.admin_x_pk, (*rekey.entries, dee_entry))  # fmt: skip
    add("rekey-to-stranger", log.event(owner, EventKind.REKEY, kick.id, to_dee.encode()))
    add("rekey-again", log.event(owner, EventKind.REKEY, named["rekey"].id, rekey.encode()))
    add("ben-acts-after-kick", log.admit(ben, cy, kick.id))
    first_admit = add("owner-admits-cy", log.admit(owner, cy, base))
    add("owner-admits-cy-again", log.admit(owner, cy, first_admit.id))
    share = build_keyshare(
        room.room_id, epoch1, owner.keys.x_secret, Recipient(dee.pk, dee.x_pk),
        ephemeral_secret=fixed("share/ephemeral"), nonce=fixed("share/nonce", 24),
    )  # fmt: skip
    # A key share sealed to a key the log does not bind to its recipient (a hello's key).
    to_ada_wrong = build_keyshare(
        room.room_id, epoch1, owner.keys.x_secret, Recipient(ada.pk, cy.x_pk),
        ephemeral_secret=fixed("share/wrong"), nonce=fixed("share/wrong-nonce", 24),
    )  # fmt: skip
    to_ada = build_keyshare(
        room.room_id, epoch1, owner.keys.x_secret, Recipient(ada.pk, ada.x_pk),
        ephemeral_secret=fixed("share/ada"), nonce=fixed("share/ada-nonce", 24),
    )  # fmt: skip
    after_rekey = named["rekey"].id
    add("keyshare-to-ada", log.event(owner, EventKind.KEYSHARE, after_rekey, to_ada.encode()))
    wrong = to_ada_wrong.encode()
    add("keyshare-to-unbound-key", log.event(owner, EventKind.KEYSHARE, after_rekey, wrong))

    lock = named["lock"].raw
    tampered = bytearray(named["promote-ada"].raw)
    tampered[-1] ^= 1
    listed = ["admit-ada", "admit-ben"]
    scenarios = {
        "honest-chain": [*listed, "promote-ada", "promote-ben", "ada-kicks-ben"],
        "mutual-kicks": [*listed, "promote-ada", "promote-ben", "ben-kicks-ada", "ada-kicks-ben"],
        "removed-admin-branch": [*listed, "promote-ada", "owner-kicks-ada", "ada-admits-cy",
                                 "ada-promotes-cy"],
        "ticket-on-two-branches": [*listed, "invite-one-use", "dee-redeems", "cy-redeems"],
        "admission-after-lock": [*listed, "owner-admits-dee", "lock"],
        "events-after-end": [*listed, "owner-promotes-ben", "end"],
        "revoke-beats-redeem": [*listed, "invite-two-uses", "cy-redeems-two", "revoke-two"],
        "member-cannot-admit": [*listed, "ben-admits-dee"],
        "orphan-waits": ["orphan", *listed, "promote-ada"],
        "replayed-event": [*listed, "promote-ada", "promote-ada"],
        "kick-and-rekey": [*listed, "promote-ada", "owner-kicks-ben", "rekey", "rekey-by-member",
                           "rekey-to-kicked", "rekey-again"],
        "rekey-to-removed": [*listed, "promote-ada", "owner-kicks-ben", "rekey-to-kicked"],
        "rekey-to-unlisted-key": [*listed, "promote-ada", "owner-kicks-ben", "rekey-to-stranger"],
        "kicked-member-acts": [*listed, "promote-ada", "owner-kicks-ben", "ben-acts-after-kick"],
        "replayed-admission": [*listed, "owner-admits-cy", "owner-admits-cy-again"],
        "unlisted-key-cannot-be-promoted": [*listed, "owner-promotes-dee"],
        "unlisted-key-cannot-be-kicked": [*listed, "owner-kicks-dee"],
        "admission-needs-the-members-own-signature": [*listed, "admit-cy-forged-binding"],
        "admission-needs-the-links-signature": [*listed, "admit-cy-without-link"],
        "bind-needs-an-open-room": [*listed, "cy-binds-in-approval-room"],
        "bind-in-an-open-room": [*listed, "open-room", "cy-binds"],
        "bind-needs-the-links-signature": [*listed, "open-room", "cy-binds-without-link"],
        "keyshare-only-to-the-bound-key": [*listed, "promote-ada", "owner-kicks-ben", "rekey",
                                           "keyshare-to-unbound-key", "keyshare-to-ada"],
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
            invalid("other-version", b"\x01" + lock[1:], "event-malformed"),
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
