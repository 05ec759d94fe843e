"""The landing page and the room page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from atopos_protocol.routing_modes import RoutingMode
from atopos_site.tenancy.middleware import tenant_of
from atopos_site.tenancy.policy import TenantPolicy
from atopos_site.text import describe_duration
from rooms.admission import MIN_LIFETIME_SECONDS

# Lifetimes offered when creating a room, filtered by the tenant's maximum.
LIFETIME_CHOICES = (15 * 60, 3600, 2 * 3600, 6 * 3600, 12 * 3600, 86_400, 3 * 86_400, 7 * 86_400)
# Mix mode's batching and cover traffic are not built yet, so a new room takes
# the first allowed mode in this order.
MODE_PREFERENCE = (RoutingMode.DIRECT, RoutingMode.TOR, RoutingMode.MIX)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """What Atopos is, and this tenant's room policy in words."""
    policy = tenant_of(request).policy
    return render(
        request,
        "pages/home.html",
        {
            "page": "home",
            "default_ttl": describe_duration(policy.default_room_ttl_seconds),
            "max_ttl": describe_duration(policy.max_room_ttl_seconds),
            "max_members": policy.max_members_per_room,
        },
    )


def lifetime_options(policy: TenantPolicy) -> list[int]:
    """The lifetimes a creator may pick: the usual choices up to the maximum, plus both ends."""
    allowed = {choice for choice in LIFETIME_CHOICES if choice <= policy.max_room_ttl_seconds}
    allowed |= {policy.default_room_ttl_seconds, policy.max_room_ttl_seconds}
    return sorted(choice for choice in allowed if choice >= MIN_LIFETIME_SECONDS)


@require_safe
@never_cache
def room(request: HttpRequest) -> HttpResponse:
    """The room app: creates a room, or joins the one named in the fragment (never sent here)."""
    policy = tenant_of(request).policy
    mode = next(mode for mode in MODE_PREFERENCE if mode in policy.routing_modes)
    return render(
        request,
        "pages/room.html",
        {
            "page": "room",
            "default_lifetime": policy.default_room_ttl_seconds,
            "lifetimes": ",".join(
                f"{seconds}:{describe_duration(seconds)}" for seconds in lifetime_options(policy)
            ),
            "routing_mode": mode.value,
            "join_rule": policy.default_join_rule.value,
        },
    )
