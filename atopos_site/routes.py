"""Public URL paths that other modules must agree on.

The log redaction filter, the admin path check and the URL configurations all
read these, so a route cannot be added in one place and forgotten in another.
"""

from __future__ import annotations

# The room page: the link is /r/#v1.<link shard>.<genesis hash>; the fragment
# never reaches the server, so the path itself is always just "/r/".
ROOM_PAGE_PREFIX = "/r/"
# WebSocket endpoint for rooms. The room id travels inside the first frame,
# never in the path, so proxies' access logs cannot list rooms.
ROOM_SOCKET_PATH = "/ws/v1"

# Paths whose remainder is treated as sensitive in logs.
ROOM_PATH_PREFIXES = (ROOM_PAGE_PREFIX, "/ws/")

# First path segments of every public route; the admin may not take one.
PUBLIC_ROUTE_SEGMENTS = frozenset(
    {
        "r",
        "ws",
        "static",
        "security",
        "threat-model",
        "disclosure",
        ".well-known",
        "robots.txt",
    }
)
