"""Re-keying after a kick, and key shares for members who join later."""

from __future__ import annotations

import pytest

from atopos_client import rekey as rekey_module
from atopos_client.keys import EpochKeys
from atopos_client.labels import ClientLabel
from atopos_client.rekey import Recipient, build_keyshare, build_rekey, open_keyshare, open_rekey
from atopos_protocol.governance.errors import GovernanceError
from atopos_protocol.governance.payloads import Rekey, RekeyEntry
from tests.governance.builders import Actor

ROOM = bytes(range(16))
KICK = bytes([9]) * 32
ADMIN, ADA, BEN, KICKED = (Actor.named(name) for name in ("owner", "ada", "ben", "kicked"))
EPOCH0 = EpochKeys.from_secret(bytes([5]) * 32, 0)


def recipient(actor: Actor) -> Recipient:
    return Recipient(actor.pk, actor.x_pk)


def rekey() -> tuple[Rekey, EpochKeys]:
    return build_rekey(ROOM, EPOCH0, KICK, ADMIN.keys.x_secret, [recipient(ADA), recipient(BEN)])


def test_every_recipient_reaches_the_admins_new_epoch():
    """Ada and Ben each open their entry and derive exactly the epoch the admin made."""
    payload, new = rekey()
    for actor in (ADA, BEN):
        opened = open_rekey(payload, ROOM, EPOCH0, actor.pk, actor.keys.x_secret)
        assert opened.secret == new.secret
        assert opened.epoch_id == new.epoch_id
    assert new.counter == 1
    assert payload.confirm == new.confirm


def test_the_kicked_member_has_no_entry_and_cannot_derive_the_epoch():
    """Knowing the old epoch is not enough: the new one needs fresh randomness it never gets."""
    payload, new = rekey()
    with pytest.raises(GovernanceError, match="not-a-recipient"):
        open_rekey(payload, ROOM, EPOCH0, KICKED.pk, KICKED.keys.x_secret)
    # Posing as Ada with its own X25519 key gets it nowhere either.
    with pytest.raises(GovernanceError, match="bad-rekey"):
        open_rekey(payload, ROOM, EPOCH0, ADA.pk, KICKED.keys.x_secret)
    assert new.secret != EPOCH0.secret


def test_an_entry_moved_to_another_recipient_does_not_open():
    """Entries are bound to their recipient: swapping them is detected."""
    payload, _ = rekey()
    ada, ben = payload.entries
    moved = RekeyEntry(ada.recipient, ben.nonce, ben.ciphertext)
    swapped = Rekey(payload.kick_id, payload.counter, payload.confirm, payload.ephemeral_pk,
                    payload.admin_x_pk, (moved, ben))  # fmt: skip
    with pytest.raises(GovernanceError, match="bad-rekey"):
        open_rekey(swapped, ROOM, EPOCH0, ADA.pk, ADA.keys.x_secret)


def test_a_relay_changing_the_confirm_value_breaks_every_entry():
    """The confirm value is bound into each entry's key: altering it makes nothing open."""
    payload, _ = rekey()
    altered = Rekey(payload.kick_id, payload.counter, bytes(32), payload.ephemeral_pk,
                    payload.admin_x_pk, payload.entries)  # fmt: skip
    with pytest.raises(GovernanceError, match="bad-rekey"):
        open_rekey(altered, ROOM, EPOCH0, ADA.pk, ADA.keys.x_secret)


def test_an_admin_publishing_a_confirm_its_secret_does_not_give_is_caught():
    """Sealed consistently under a made-up confirm value, the entry opens but fails the check."""
    fake_confirm, fresh, ephemeral = bytes([7]) * 32, bytes([8]) * 32, bytes([6]) * 32
    epoch_id = (1).to_bytes(4, "big") + fake_confirm[:8]
    ephemeral_pk, admin_x_pk = rekey_module._x_public(ephemeral), ADMIN.x_pk
    key = rekey_module._seal_key(
        ClientLabel.REKEY, rekey_module._shared(ephemeral, ADA.x_pk),
        rekey_module._shared(ADMIN.keys.x_secret, ADA.x_pk), ROOM, epoch_id, ephemeral_pk,
        admin_x_pk, ADA.x_pk, KICK,
    )  # fmt: skip
    nonce = bytes(24)
    entry = RekeyEntry(ADA.pk, nonce, rekey_module._aead_seal(key, nonce, ROOM + ADA.pk, fresh))
    lying = Rekey(KICK, 1, fake_confirm, ephemeral_pk, admin_x_pk, (entry,))
    with pytest.raises(GovernanceError, match="confirm-mismatch"):
        open_rekey(lying, ROOM, EPOCH0, ADA.pk, ADA.keys.x_secret)


def test_a_replayed_old_bundle_does_not_move_a_member_forward():
    """A bundle for epoch 1 replayed to a member already in epoch 1 is the wrong epoch."""
    payload, new = rekey()
    with pytest.raises(GovernanceError, match="wrong-epoch"):
        open_rekey(payload, ROOM, new, ADA.pk, ADA.keys.x_secret)


def test_a_key_share_hands_over_the_current_epoch_checked_by_its_confirm():
    """A member who joins after a re-key gets the epoch from an admin, and checks it."""
    _, epoch1 = rekey()
    share = build_keyshare(ROOM, epoch1, ADMIN.keys.x_secret, recipient(BEN))
    received = open_keyshare(share, ROOM, BEN.pk, BEN.keys.x_secret, epoch1.confirm)
    assert received.secret == epoch1.secret
    with pytest.raises(GovernanceError, match="bad-rekey"):
        open_keyshare(share, ROOM, BEN.pk, BEN.keys.x_secret, bytes(32))
    with pytest.raises(GovernanceError, match="not-a-recipient"):
        open_keyshare(share, ROOM, ADA.pk, ADA.keys.x_secret, epoch1.confirm)
