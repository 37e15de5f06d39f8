"""Endpoint checks shared by the publisher and subscriber."""

from __future__ import annotations

import re
import socket

from ..errors import ConfigError

__all__ = ["check_bind_endpoint", "free_loopback_endpoint"]

_TCP = re.compile(r"^tcp://(?P<host>\[[^\]]+\]|[^:/]+):(?P<port>\d+)$")
_LOOPBACK = ("127.", "localhost", "[::1]", "::1")


def check_bind_endpoint(endpoint: str, allow_all_interfaces: bool) -> str:
    """The endpoint to bind, refusing all-interface and non-loopback addresses unless asked.

    Raises:
        ConfigError: a malformed endpoint, or a wildcard / external address without ``allow_all_interfaces``.
    """
    if endpoint.startswith(("ipc://", "inproc://")):
        return endpoint
    match = _TCP.match(endpoint)
    if not match:
        raise ConfigError(f"endpoint {endpoint!r}: use tcp://HOST:PORT (e.g. tcp://127.0.0.1:5555) or ipc://PATH")
    host = match.group("host")
    if not host.startswith(_LOOPBACK) and not allow_all_interfaces:
        raise ConfigError(
            f"refusing to bind {endpoint}: it is reachable from other machines. Bind tcp://127.0.0.1:PORT, or pass "
            "allow_all_interfaces=True (--publish-all-interfaces) if you mean it (and consider --curve-keys)"
        )
    return endpoint


def free_loopback_endpoint() -> str:
    """``tcp://127.0.0.1:PORT`` with a port that is free right now (for benchmarks and local set-ups)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{probe.getsockname()[1]}"
