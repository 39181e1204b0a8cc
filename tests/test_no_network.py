"""The network guard: non-loopback connections fail, loopback works, child Pythons are guarded too."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from labkit.testing.no_network import NetworkBlocked, child_environment


def test_outbound_connection_is_blocked():
    with pytest.raises(NetworkBlocked, match="offline"):
        socket.create_connection(("203.0.113.7", 443), timeout=1)
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("huggingface.co", 443)


def test_loopback_is_allowed():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port), timeout=2)
    client.close()
    server.close()


def test_child_python_is_guarded():
    code = ("import socket\ntry:\n socket.create_connection(('198.51.100.9', 80), timeout=1)\n"
            "except Exception as e:\n print(type(e).__name__)")
    out = subprocess.run([sys.executable, "-c", code], env=child_environment(), capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip() == "NetworkBlocked", out.stderr
