"""Protocol v2 (docs/PROTOCOL.md): what the relay and every participant both need, PyNaCl only.

Frames, the codec, genesis and join-proof verification, signatures, the
signed governance log with its state and fork-choice, and the enums a room
is configured with. No Django, no Channels and nothing that derives a room's
keys: that lives on a participant's device (``atopos_client``). The import
contracts in pyproject.toml hold both to that.
"""

VERSION = 2
