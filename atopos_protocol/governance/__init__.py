"""A room's signed governance log (PROTOCOL §8): events, payloads, state and fork-choice.

Both sides run it: the relay to decide what it accepts and who may enter,
participants to agree on who is in the room and which epoch is current.
"""
