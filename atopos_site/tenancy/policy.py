"""A tenant's rules for rooms, as plain values the rest of the code can trust.

Nothing here imports Django: consumers, the room store and governance take a
``ResolvedTenant`` and never touch the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass

from atopos_protocol.join_rules import JoinRule
from atopos_protocol.routing_modes import RoutingMode
from atopos_site.tenancy.namespace import TenantNamespace


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Ceilings that stop one client from flooding a tenant."""

    messages_per_minute: int  # frames one connection may send
    joins_per_minute: int  # join attempts from one client
    rooms_per_hour: int  # rooms one client may create


@dataclass(frozen=True, slots=True)
class TenantPolicy:
    """What rooms on a tenant may be: how long they live, how big they get."""

    default_room_ttl_seconds: int
    max_room_ttl_seconds: int
    max_members_per_room: int
    routing_modes: frozenset[RoutingMode]
    default_join_rule: JoinRule
    rate_limits: RateLimits

    def clamp_room_ttl(self, requested_seconds: int | None) -> int:
        """The room lifetime to use: the default if none is asked, never above the maximum."""
        if requested_seconds is None or requested_seconds <= 0:
            return self.default_room_ttl_seconds
        return min(requested_seconds, self.max_room_ttl_seconds)


@dataclass(frozen=True, slots=True)
class ResolvedTenant:
    """The tenant a request or socket belongs to, as resolved from its Host header."""

    slug: str
    display_name: str
    domains: frozenset[str]
    policy: TenantPolicy
    # The tenant's onion origin (http://<name>.onion), named in Onion-Location; "" for none.
    onion_location: str = ""

    @property
    def namespace(self) -> TenantNamespace:
        """The prefix for this tenant's Redis keys and channel-layer groups."""
        return TenantNamespace(self.slug)
