"""Protocol v2 reference implementation (docs/PROTOCOL.md), PyNaCl only.

The server imports only what it needs to relay and to check proofs
(``frames``, ``genesis``, ``joinproof``, ``signatures``, ``labels``); the
shard combiner and envelope decryption (``keys.room_secret``, ``envelope``)
are for clients.
"""

VERSION = 2
