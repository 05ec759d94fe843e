"""Sign-in attempts to the admin, counted per client and per username in Redis.

Five failed sign-ins in fifteen minutes, from one client or against one
username, lock that client or username until the fifteen minutes are over;
while locked, even the right password is refused, so guessing gains nothing
by going faster or by trying the right password last. Counting per username
too stops an attacker who spreads guesses over many addresses; counting per
client stops one who sprays many usernames. (A locked username can still be
used from nowhere for the rest of the window: an attacker can keep an
operator out for a while, never let himself in.)

Redis keys hold no address and no username: the client is the relay's daily
keyed hash of its address (``rooms.server_keys.client_identity``), the
username a keyed HMAC of it under SECRET_KEY. Each key is created with its
TTL in one Lua script and disappears with the window.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import cast

import redis
from django.conf import settings
from django.utils.crypto import salted_hmac

from rooms.server_keys import client_identity

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
# "_" cannot appear in a tenant slug, so these never meet a tenant's keys.
KEY_PREFIX = "atopos:_operator:login"

# Counts one attempt on every key (creating each with the window as its TTL)
# and returns the highest count: the attempt is allowed while it is at most
# the limit. Counting before checking the password makes parallel guesses
# count too.
_ATTEMPT = """
local highest = 0
for _, key in ipairs(KEYS) do
    local count = redis.call('INCR', key)
    if count == 1 then
        redis.call('EXPIRE', key, ARGV[1])
    end
    if count > highest then
        highest = count
    end
end
return highest
"""

_lock = threading.Lock()
_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    """One client per process (its pool is thread-safe): the first REDIS_URL."""
    global _client
    with _lock:
        if _client is None:
            _client = redis.Redis.from_url(settings.REDIS_URLS[0])
        return _client


@dataclass(frozen=True)
class Subjects:
    """The two counters one sign-in attempt is charged to."""

    client: str
    username: str

    @property
    def keys(self) -> list[str]:
        return [f"{KEY_PREFIX}:client:{self.client}", f"{KEY_PREFIX}:user:{self.username}"]


def subjects(address: str, username: str, now_seconds: float | None = None) -> Subjects:
    """The keyed hashes of a client address and a username (case-folded)."""
    now = time.time() if now_seconds is None else now_seconds
    user = salted_hmac("atopos.login_throttle.username", username.casefold(), algorithm="sha256")
    return Subjects(client_identity(address, now), user.hexdigest()[:32])


def attempt(charged: Subjects) -> bool:
    """Count one sign-in attempt; False when the client or the username is locked."""
    highest = _redis().eval(_ATTEMPT, 2, *charged.keys, WINDOW_SECONDS)
    return int(cast(int, highest)) <= MAX_FAILURES


def succeeded(charged: Subjects) -> None:
    """A right password: the client and the username start again from zero."""
    _redis().delete(*charged.keys)
