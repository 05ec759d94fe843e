"""`manage.py tenant add|list|remove|onion-location`: manage tenants without the admin."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from atopos_protocol.join_rules import INITIAL_JOIN_RULES
from atopos_protocol.routing_modes import RoutingMode
from atopos_site.tenancy.checks import domains_outside_allowed_hosts
from atopos_site.tenancy.hostnames import normalize_hostname
from atopos_site.tenancy.models import Tenant, TenantDomain


def _modes(raw: str) -> set[RoutingMode]:
    try:
        return {RoutingMode(item.strip()) for item in raw.split(",") if item.strip()}
    except ValueError:
        allowed = ", ".join(mode.value for mode in RoutingMode)
        raise CommandError(f"--modes takes a comma-separated list of {allowed}") from None


def _field_errors(error: ValidationError) -> str:
    return "; ".join(
        f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
    )


class Command(BaseCommand):
    help = "Add, list or remove tenants and their domains; set a tenant's onion service."

    def add_arguments(self, parser: CommandParser) -> None:
        """Sub-commands: add, list, remove."""
        actions = parser.add_subparsers(dest="action", required=True)
        add: ArgumentParser = actions.add_parser("add", help="create a tenant with its domains")
        add.add_argument("slug", help="short name: lower-case letters, digits, '-'")
        add.add_argument("--name", dest="display_name", help="display name (default: the slug)")
        add.add_argument(
            "--domain", dest="domains", action="append", required=True, help="hostname; repeat"
        )
        add.add_argument("--default-ttl", type=int, help="default room lifetime in seconds")
        add.add_argument("--max-ttl", type=int, help="maximum room lifetime in seconds")
        add.add_argument("--max-members", type=int, help="maximum members per room")
        add.add_argument("--modes", help="allowed routing modes, e.g. direct,mix")
        add.add_argument("--messages-per-minute", type=int, help="frames one connection may send")
        add.add_argument("--joins-per-minute", type=int, help="join attempts from one client")
        add.add_argument("--rooms-per-hour", type=int, help="rooms one client may create")
        add.add_argument(
            "--join-rule", choices=[rule.value for rule in INITIAL_JOIN_RULES], help="default rule"
        )
        add.add_argument(
            "--onion-location",
            help="its onion service, http://<name>.onion: its pages name it to Tor Browser",
        )
        add.add_argument(
            "--if-absent", action="store_true", help="do nothing if the slug already exists"
        )
        actions.add_parser("list", help="show every tenant, its domains and policy")
        remove = actions.add_parser("remove", help="delete a tenant and its domains")
        remove.add_argument("slug")
        onion = actions.add_parser(
            "onion-location",
            help="set the onion service a tenant's pages name in Onion-Location (none: clear it)",
        )
        onion.add_argument("slug")
        onion.add_argument("url", nargs="?", default="", help="http://<56 characters>.onion")

    def handle(self, *args: Any, **options: Any) -> None:
        """Dispatch to the chosen sub-command."""
        action = options["action"]
        if action == "add":
            self._add(options)
        elif action == "list":
            self._list()
        elif action == "onion-location":
            self._onion_location(options["slug"], options["url"])
        else:
            self._remove(options["slug"])

    def _add(self, options: dict[str, Any]) -> None:
        slug: str = options["slug"]
        if Tenant.objects.filter(slug=slug).exists():
            if options["if_absent"]:
                self.stdout.write(f"Tenant {slug} already exists; left unchanged.")
                return
            raise CommandError(f"a tenant with slug {slug!r} already exists")
        tenant = Tenant(slug=slug, display_name=options["display_name"] or slug)
        for option, field in (
            ("default_ttl", "default_room_ttl_seconds"),
            ("max_ttl", "max_room_ttl_seconds"),
            ("max_members", "max_members_per_room"),
            ("join_rule", "default_join_rule"),
            ("messages_per_minute", "messages_per_minute"),
            ("joins_per_minute", "joins_per_minute"),
            ("rooms_per_hour", "rooms_per_hour"),
            ("onion_location", "onion_location"),
        ):
            if options[option] is not None:
                setattr(tenant, field, options[option])
        if options["modes"] is not None:
            modes = _modes(options["modes"])
            tenant.allow_direct = RoutingMode.DIRECT in modes
            tenant.allow_tor = RoutingMode.TOR in modes
            tenant.allow_mix = RoutingMode.MIX in modes
        hostnames = self._hostnames(options["domains"])
        try:
            tenant.full_clean()
        except ValidationError as error:
            raise CommandError(f"invalid tenant: {_field_errors(error)}") from None
        with transaction.atomic():
            tenant.save()
            TenantDomain.objects.bulk_create(
                TenantDomain(hostname=hostname, tenant=tenant) for hostname in hostnames
            )
        self.stdout.write(f"Added tenant {slug} for {', '.join(hostnames)}.")
        for hostname in domains_outside_allowed_hosts(hostnames):
            self.stderr.write(
                f"Warning: {hostname} is not in ALLOWED_HOSTS; add it before visitors arrive."
            )

    def _hostnames(self, raw_domains: list[str]) -> list[str]:
        hostnames: list[str] = []
        for raw in raw_domains:
            try:
                hostname = normalize_hostname(raw)
            except ValueError as error:
                raise CommandError(str(error)) from None
            if hostname not in hostnames:
                hostnames.append(hostname)
        taken = TenantDomain.objects.filter(hostname__in=hostnames).values_list(
            "hostname", flat=True
        )
        if taken:
            raise CommandError(f"already serving another tenant: {', '.join(sorted(taken))}")
        return hostnames

    def _list(self) -> None:
        tenants = Tenant.objects.prefetch_related("domains")
        if not tenants:
            self.stdout.write("No tenants yet. Add one: manage.py tenant add SLUG --domain HOST")
            return
        for tenant in tenants:
            policy = tenant.policy()
            state = "" if tenant.is_active else " [inactive]"
            modes = ",".join(sorted(mode.value for mode in policy.routing_modes))
            self.stdout.write(
                f"{tenant.slug}{state}  {tenant.display_name!r}\n"
                f"  domains: {', '.join(d.hostname for d in tenant.domains.all())}\n"
                f"  rooms:   ttl {policy.default_room_ttl_seconds}s"
                f" (max {policy.max_room_ttl_seconds}s), up to {policy.max_members_per_room}"
                f" members, join rule {policy.default_join_rule.value}, modes {modes}\n"
                f"  limits:  {policy.rate_limits.messages_per_minute} frames/min per connection,"
                f" {policy.rate_limits.joins_per_minute} joins/min and"
                f" {policy.rate_limits.rooms_per_hour} rooms/h per client"
            )
            if tenant.onion_location:
                self.stdout.write(f"  onion:   {tenant.onion_location} (Onion-Location)")

    def _onion_location(self, slug: str, url: str) -> None:
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"no tenant with slug {slug!r}")
        tenant.onion_location = url
        try:
            tenant.full_clean()
        except ValidationError as error:
            raise CommandError(f"invalid onion location: {_field_errors(error)}") from None
        tenant.save(update_fields=["onion_location"])
        if tenant.onion_location:
            self.stdout.write(f"Pages of {slug} now name {tenant.onion_location} to Tor Browser.")
        else:
            self.stdout.write(f"Pages of {slug} name no onion service.")

    def _remove(self, slug: str) -> None:
        deleted, _details = Tenant.objects.filter(slug=slug).delete()
        if not deleted:
            raise CommandError(f"no tenant with slug {slug!r}")
        self.stdout.write(f"Removed tenant {slug} and its domains.")
