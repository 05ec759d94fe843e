"""The relay's governance rules: what the relay accepts into a room's signed log.

The log itself (events, state, fork-choice) is protocol, shared with
participants, in ``atopos_protocol.governance``.
"""
