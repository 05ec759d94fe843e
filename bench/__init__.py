"""`make bench`: the Atopos relay measured beside bare relays in one run (docs/PERFORMANCE.md)."""
