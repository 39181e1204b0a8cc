"""What the grader tests' `submission` fixture loads, from the environment the grader sets.

- LABKIT_SUBMISSION: the notebook to load (unset: the lab's solution, so `pytest tests/graders` checks
  that every solution passes its own graders);
- LABKIT_SKIP_CELLS: comma-separated cell indices not to run (cells that timed out or killed the kernel
  when `labkit grade` executed the notebook, so a hanging cell cannot hang grading too);
- LABKIT_CELL_TIMEOUT: seconds a cell may run while loading (set by `labkit grade`).

Loads are cached per process, so the grader's pytest plugin can load the notebook before the tests
start (outside each test's time limit) and the fixture then returns the same object.
"""

from __future__ import annotations

import os
from pathlib import Path

from labkit.grading.namespace import Submission, load_namespace

_CACHE: dict[tuple, Submission] = {}


def parse_cells(text: str) -> frozenset[int]:
    """"3, 7" -> {3, 7} (blank entries ignored)."""
    return frozenset(int(part) for part in text.split(",") if part.strip())


def submission_path(lab: str, solutions_dir: Path) -> Path:
    """The notebook to grade: $LABKIT_SUBMISSION, else solutions_dir/<lab>.ipynb."""
    return Path(os.environ.get("LABKIT_SUBMISSION") or Path(solutions_dir) / f"{lab}.ipynb")


def load_submission(path: Path) -> Submission:
    """Load notebook `path` with the skip list and time limit from the environment (cached)."""
    skip = parse_cells(os.environ.get("LABKIT_SKIP_CELLS", ""))
    timeout = float(os.environ.get("LABKIT_CELL_TIMEOUT") or 0) or None
    key = (str(Path(path).resolve()), skip, timeout)
    if key not in _CACHE:
        _CACHE[key] = load_namespace(Path(path), skip_cells=skip, cell_timeout=timeout)
    return _CACHE[key]
