"""What only a participant's device does: derive keys, seal and open envelopes, hold a session.

The Python reference client (the browser's twin in static/js/client/) and the
terminal client (``python -m atopos_client``). The server never imports it.
"""
