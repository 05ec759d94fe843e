"""A real daphne process serving Atopos, for tests (see atopos_site.testing.live_site)."""

from atopos_site.testing.live_site import LIVE_TENANTS, LiveSite, live_database, live_site

__all__ = ["LIVE_TENANTS", "LiveSite", "live_database", "live_site"]
