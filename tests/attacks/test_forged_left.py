"""Issue 9, attack 9: a relay-forged LEFT drops a member from the next re-key.

Before protocol v2 re-keys went to the members the client believed present,
and the relay decides what "present" means: a forged LEFT for Bob meant the
next REKEY left him out (and locked him out of the room). Re-keys now go to
every member the signed log lists, whatever the relay says about presence.
"""

from __future__ import annotations

import pytest

from atopos_client.events import MemberLeft
from atopos_protocol.frames import LeftFrame
from atopos_protocol.governance.events import EventKind
from atopos_protocol.governance.payloads import Rekey, parse_payload
from tests.attacks.adversary import appended
from tests.attacks.test_hello_key_substitution import kick_and_rekey

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_forged_left_does_not_drop_bob_from_the_rekey(alice, bob, mallory):
    """The relay tells Alice that Bob left; Alice kicks Mallory; Bob still gets the epoch."""
    alice.injected.append(LeftFrame(bob.key).encode())
    left = await alice.pump(MemberLeft)
    assert left.member.ed_pk == bob.key
    await kick_and_rekey(alice, mallory, bob)
    (rekey,) = appended(alice.session, EventKind.REKEY)
    payload = parse_payload(rekey)
    assert isinstance(payload, Rekey)
    assert [entry.recipient for entry in payload.entries] == [bob.key]
    assert bob.session.epoch == alice.session.epoch
