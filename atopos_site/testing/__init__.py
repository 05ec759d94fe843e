"""Support for running the test suite (loaded by pytest, not by the site)."""
