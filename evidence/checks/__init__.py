"""One module per check; each defines ``CHECK`` (see evidence.check.Check)."""
