"""Tenants and their domains: the only product data Atopos keeps in its database.

Nothing here describes a room, a message, a participant or an address; those
live in Redis with a TTL, or nowhere.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from atopos_protocol.join_rules import INITIAL_JOIN_RULES, JoinRule
from atopos_protocol.routing_modes import RoutingMode
from atopos_site.tenancy.hostnames import normalize_hostname
from atopos_site.tenancy.namespace import SLUG_PATTERN
from atopos_site.tenancy.onion import normalize_onion_location
from atopos_site.tenancy.policy import RateLimits, ResolvedTenant, TenantPolicy

MIN_ROOM_TTL_SECONDS = 5 * 60
MAX_ROOM_TTL_SECONDS = 7 * 24 * 3600
MIN_MEMBERS, MAX_MEMBERS = 2, 256


def _between(low: int, high: int) -> list[MinValueValidator | MaxValueValidator]:
    return [MinValueValidator(low), MaxValueValidator(high)]


def validate_onion_location(value: str) -> None:
    """Refuse anything but the origin of a version 3 onion service (see tenancy.onion)."""
    if value:
        try:
            normalize_onion_location(value)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class Tenant(models.Model):
    """A brand on this deployment, with its own room policy."""

    slug = models.CharField(
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(
                f"^{SLUG_PATTERN.pattern}$",
                "Use 1-32 lower-case letters, digits or '-', not starting or ending with '-'.",
            )
        ],
        help_text="Short name used in Redis keys and group names; never shown to visitors.",
    )
    display_name = models.CharField(max_length=80, help_text="Shown in page titles and headers.")
    is_active = models.BooleanField(
        default=True, help_text="An inactive tenant's domains answer exactly like unknown ones."
    )
    default_room_ttl_seconds = models.PositiveIntegerField(
        default=2 * 3600, validators=_between(MIN_ROOM_TTL_SECONDS, MAX_ROOM_TTL_SECONDS)
    )
    max_room_ttl_seconds = models.PositiveIntegerField(
        default=24 * 3600, validators=_between(MIN_ROOM_TTL_SECONDS, MAX_ROOM_TTL_SECONDS)
    )
    max_members_per_room = models.PositiveSmallIntegerField(
        default=16, validators=_between(MIN_MEMBERS, MAX_MEMBERS)
    )
    allow_direct = models.BooleanField(default=True, help_text="Rooms may use the direct relay.")
    allow_tor = models.BooleanField(default=True, help_text="Rooms may be marked for Tor use.")
    allow_mix = models.BooleanField(
        default=True, help_text="Rooms may use mix mode (padding, batching, cover traffic)."
    )
    default_join_rule = models.CharField(
        max_length=16,
        choices=[(rule.value, rule.value.capitalize()) for rule in INITIAL_JOIN_RULES],
        default=JoinRule.OPEN.value,
    )
    messages_per_minute = models.PositiveIntegerField(
        default=300, validators=_between(10, 6000), help_text="Frames one connection may send."
    )
    joins_per_minute = models.PositiveIntegerField(
        default=20, validators=_between(1, 600), help_text="Join attempts from one client."
    )
    rooms_per_hour = models.PositiveIntegerField(
        default=30, validators=_between(1, 1000), help_text="Rooms one client may create."
    )
    onion_location = models.CharField(
        max_length=80,
        blank=True,
        default="",
        validators=[validate_onion_location],
        help_text=(
            "This tenant's onion service, e.g. http://<56 characters>.onion (deploy/tor/). "
            "Its HTML pages on other domains then carry an Onion-Location header, so Tor "
            "Browser offers the onion site. Empty: no header."
        ),
    )

    domains: models.Manager[TenantDomain]

    class Meta:
        ordering: ClassVar = ["slug"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(default_room_ttl_seconds__lte=models.F("max_room_ttl_seconds")),
                name="tenant_default_ttl_within_max",
            ),
            models.CheckConstraint(
                condition=models.Q(allow_direct=True)
                | models.Q(allow_tor=True)
                | models.Q(allow_mix=True),
                name="tenant_allows_a_routing_mode",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.slug})"

    def clean(self) -> None:
        """Reject a policy that could never be honoured."""
        errors: dict[str, str] = {}
        if (
            self.default_room_ttl_seconds is not None
            and self.max_room_ttl_seconds is not None
            and self.default_room_ttl_seconds > self.max_room_ttl_seconds
        ):
            errors["default_room_ttl_seconds"] = "The default room lifetime exceeds the maximum."
        if not self.routing_modes():
            errors["allow_direct"] = "Allow at least one routing mode."
        if self.onion_location:
            try:
                self.onion_location = normalize_onion_location(self.onion_location)
            except ValueError as error:
                errors["onion_location"] = str(error)
        if errors:
            raise ValidationError(errors)

    def routing_modes(self) -> frozenset[RoutingMode]:
        """The routing modes this tenant's rooms may use."""
        flags = {
            RoutingMode.DIRECT: self.allow_direct,
            RoutingMode.TOR: self.allow_tor,
            RoutingMode.MIX: self.allow_mix,
        }
        return frozenset(mode for mode, allowed in flags.items() if allowed)

    def policy(self) -> TenantPolicy:
        """This tenant's policy as a plain value."""
        return TenantPolicy(
            default_room_ttl_seconds=self.default_room_ttl_seconds,
            max_room_ttl_seconds=self.max_room_ttl_seconds,
            max_members_per_room=self.max_members_per_room,
            routing_modes=self.routing_modes(),
            default_join_rule=JoinRule(self.default_join_rule),
            rate_limits=RateLimits(
                messages_per_minute=self.messages_per_minute,
                joins_per_minute=self.joins_per_minute,
                rooms_per_hour=self.rooms_per_hour,
            ),
        )

    def resolved(self) -> ResolvedTenant:
        """This tenant with its domains and policy, detached from the ORM."""
        return ResolvedTenant(
            slug=self.slug,
            display_name=self.display_name,
            domains=frozenset(self.domains.values_list("hostname", flat=True)),
            policy=self.policy(),
            onion_location=self.onion_location,
        )


class TenantDomain(models.Model):
    """A hostname that serves one tenant."""

    hostname = models.CharField(
        max_length=255,
        unique=True,
        help_text="As visitors type it, without scheme or port: chat.example.org",
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="domains")

    class Meta:
        ordering: ClassVar = ["hostname"]

    def __str__(self) -> str:
        return self.hostname

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, normalising the hostname even when ``clean`` was not called."""
        self.hostname = normalize_hostname(self.hostname)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """Store the hostname in the canonical form Host headers are compared with."""
        try:
            self.hostname = normalize_hostname(self.hostname or "")
        except ValueError as error:
            raise ValidationError({"hostname": str(error)}) from None
