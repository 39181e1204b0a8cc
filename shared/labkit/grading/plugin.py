"""A pytest plugin for `labkit grade`: one JSON line per collected test and per test outcome.

The grader runs `pytest -p labkit.grading.plugin --labkit-results FILE tests/graders/test_<lab>.py` in a
fresh Python. Lines are written (and flushed) as they happen, so if that process has to be stopped
(a learner function that never returns) the outcomes so far are kept and the tests that did not run
count as failed. Line kinds:

    {"event": "collected", "nodeid": ..., "exercise": "2.3" | null}
    {"event": "result", "nodeid": ..., "when": "setup" | "call" | "teardown", "outcome": ..., "message": ...}
    {"event": "collect_error", "nodeid": ..., "message": ...}

Before the tests start, the submission is loaded once (outside every test's time limit); the
`submission` fixture then returns that same object (labkit.grading.fixture caches it).
"""

from __future__ import annotations

import json
import os

import pytest

_stream = None


def pytest_addoption(parser) -> None:
    parser.addoption("--labkit-results", default=None, help="write labkit grading events (JSON lines) here")


def pytest_configure(config) -> None:
    global _stream
    config.addinivalue_line("markers", "exercise(id): the exercise (e.g. '2.3') a grader test scores")
    path = config.getoption("--labkit-results")
    if path:
        _stream = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole session


def _write(event: dict) -> None:
    if _stream is not None:
        _stream.write(json.dumps(event, ensure_ascii=False) + "\n")
        _stream.flush()


def first_line(report) -> str:
    """The first line of a report's failure: 'AssertionError: ...', 'NotImplementedError: ...'."""
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple):  # skipped: (file, line, reason)
        return str(longrepr[-1])
    crash = getattr(longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(longrepr)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if crash is None and lines:  # a plain-text repr ends with the error line
        return lines[-1]
    return lines[0] if lines else ""


def pytest_collection_modifyitems(session, config, items) -> None:  # noqa: ARG001 - hook signature
    for item in items:
        marker = item.get_closest_marker("exercise")
        _write({"event": "collected", "nodeid": item.nodeid,
                "exercise": str(marker.args[0]) if marker and marker.args else None})


def pytest_collectreport(report) -> None:
    if report.failed:
        _write({"event": "collect_error", "nodeid": report.nodeid, "message": first_line(report)})


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session) -> None:  # noqa: ARG001 - hook signature
    if _stream is None or not os.environ.get("LABKIT_SUBMISSION"):
        return
    from labkit.grading.fixture import load_submission

    try:  # load now, outside the tests' time limits; a failure shows up again in the fixture
        load_submission(os.environ["LABKIT_SUBMISSION"])
    except Exception:  # noqa: BLE001 - reported by the tests that use the fixture
        pass


def pytest_runtest_logreport(report) -> None:
    _write({"event": "result", "nodeid": report.nodeid, "when": report.when, "outcome": report.outcome,
            "message": first_line(report) if report.outcome != "passed" else ""})


def pytest_unconfigure(config) -> None:  # noqa: ARG001 - hook signature
    global _stream
    if _stream is not None:
        _stream.close()
        _stream = None
