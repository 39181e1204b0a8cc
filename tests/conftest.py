"""Shared fixtures. The network guard itself is a pytest plugin: labkit.testing.no_network."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def local_client():
    """One offline client for the whole run (the local model loads once per process)."""
    from labkit.llm import get_client

    return get_client("local")
