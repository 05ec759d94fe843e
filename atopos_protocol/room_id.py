"""A room's id: the hash of its auth key (PROTOCOL §2).

The relay checks at CREATE that a room id belongs to the auth key that signs
for it; a link holder derives the same id (``atopos_client.keys``).
"""

from __future__ import annotations

from atopos_protocol.labels import Label, unkeyed_hash

ROOM_ID_SIZE = 16


def room_id_for(auth_pk: bytes) -> bytes:
    """The room id: a hash of the room's auth key, so only its holder can CREATE under it.

    A CREATE for an id whose auth key the sender does not hold fails its
    signature checks like any malformed CREATE, so nobody without the link
    can learn whether an id is taken, ended or never used.
    """
    return unkeyed_hash(Label.RID, auth_pk, ROOM_ID_SIZE)
