"""Start and stop real processes for integration tests (see atopos_site.testing)."""

from atopos_site.testing.processes import (
    ROOT,
    base_env,
    free_port,
    http_get,
    pid_alive,
    stop,
    wait_for_port,
)

__all__ = ["ROOT", "base_env", "free_port", "http_get", "pid_alive", "stop", "wait_for_port"]
