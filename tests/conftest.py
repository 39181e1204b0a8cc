"""Shared fixtures, and which tests are slow. The network guard itself is a pytest plugin:
labkit.testing.no_network.

A test is `slow` (left out of `make test-fast`, still in `make test`) when it is marked so, uses the local
model (`local_client`), is a notebook run by nbval, or lives in a module of SLOW_MODULES: those start the
engine, run notebooks in the grading sandbox, train, or drive the browser."""

from __future__ import annotations

import pytest

SLOW_MODULES = {"test_browser", "test_labs_grading", "test_grading", "test_grading_attacks", "test_finetune_train",
                "test_llm", "test_server_process", "test_nl2sql_strategies", "test_nl2sql_training", "test_adapters",
                "test_embed"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = item.path.stem if item.path else ""
        if ("local_client" in getattr(item, "fixturenames", ()) or item.path.suffix == ".ipynb"
                or module in SLOW_MODULES):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def local_client():
    """One offline client for the whole run (the local model loads once per process)."""
    from labkit.llm import get_client

    return get_client("local")
