"""Fixtures for grader tests: load a learner's notebook as a namespace.

A grader test file tests/graders/test_<lab>.py grades notebooks of lab <lab>. The `submission` fixture
executes the notebook's code cells, in order, in a fresh namespace and returns it (attribute access).
Which notebook: $LABKIT_SUBMISSION if set (the grader sets it), else solutions/<lab>.ipynb, so running
`pytest tests/graders` checks that every solution passes its own graders.
Cells listed (by index, comma separated) in $LABKIT_SKIP_CELLS are not run: the grader lists the cells
that timed out (or killed the kernel) when the notebook was executed, so a hanging learner cell cannot
hang grading too; $LABKIT_CELL_TIMEOUT bounds every other cell. Cells tagged skip-grading are not run.
Loads are cached per process (labkit grade loads the notebook before the tests start, outside their time
limits). Details: labkit.grading.fixture and labkit.grading.namespace.
"""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from labkit.grading.fixture import load_submission, submission_path

ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config):
    config.addinivalue_line("markers", "exercise(id): the exercise (e.g. '2.3') a grader test scores")


@pytest.fixture(scope="module")
def submission(request) -> types.SimpleNamespace:
    lab = Path(request.module.__file__).stem.removeprefix("test_")
    return load_submission(submission_path(lab, ROOT / "solutions"))
