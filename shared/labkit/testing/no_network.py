"""Block every connection that leaves this machine.

The course promises that nothing reaches the network at run time: no model hub, no telemetry, no API
unless a key is given. This module makes that promise checkable. `install()` wraps the socket calls so a
connection to anything but loopback (127.0.0.0/8, ::1) or a Unix socket raises `NetworkBlocked`, and a
name lookup of anything but localhost does too.

It is used three ways:
- as a pytest plugin (`-p labkit.testing.no_network` in pyproject.toml): every test runs guarded;
- in notebook kernels started by tests and by the grader: the plugin puts the `sitecustomize/` folder
  next to this file on PYTHONPATH and sets LABKIT_NO_NETWORK=1, so child Pythons install the guard too;
- by hand: `from labkit.testing.no_network import install; install()`.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

SITECUSTOMIZE_DIR = Path(__file__).with_name("sitecustomize")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", ""}


class NetworkBlocked(ConnectionRefusedError):
    """A connection to a non-loopback address was attempted while the network guard was on."""


def _is_local_host(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host).strip("[]").lower()
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check_address(family: int, address: object) -> None:
    if family == getattr(socket, "AF_UNIX", None):
        return
    host = address[0] if isinstance(address, tuple) else address
    if not _is_local_host(host):
        raise NetworkBlocked(f"labkit: blocked a connection to {address!r}: the course runs offline "
                             "(only loopback is allowed while the network guard is on)")


_original: dict[str, Callable[..., Any]] = {}


def install() -> None:
    """Turn the guard on for this process (idempotent)."""
    if _original:
        return
    _original["connect"] = socket.socket.connect
    _original["connect_ex"] = socket.socket.connect_ex
    _original["getaddrinfo"] = socket.getaddrinfo

    def connect(self, address):
        _check_address(self.family, address)
        return _original["connect"](self, address)

    def connect_ex(self, address):
        _check_address(self.family, address)
        return _original["connect_ex"](self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local_host(host):
            raise NetworkBlocked(f"labkit: blocked a name lookup of {host!r}: the course runs offline")
        return _original["getaddrinfo"](host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]  # the guard is a monkeypatch by design
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]  # the guard is a monkeypatch by design
    socket.getaddrinfo = getaddrinfo


def uninstall() -> None:
    """Turn the guard off again (used by the guard's own tests)."""
    if not _original:
        return
    socket.socket.connect = _original.pop("connect")  # type: ignore[method-assign]  # undoes install()'s patch
    socket.socket.connect_ex = _original.pop("connect_ex")  # type: ignore[method-assign]  # undoes install()'s patch
    socket.getaddrinfo = _original.pop("getaddrinfo")


def child_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of `env` (default: os.environ) under which child Pythons install the guard at start-up."""
    env = dict(os.environ if env is None else env)
    env["LABKIT_NO_NETWORK"] = "1"
    parts = [str(SITECUSTOMIZE_DIR)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(parts)
    for key, value in {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}.items():
        env.setdefault(key, value)
    return env


# --- pytest plugin hooks ----------------------------------------------------------------------
def pytest_configure(config) -> None:  # noqa: ARG001 - pytest's hook signature
    install()
    os.environ.update(child_environment())
