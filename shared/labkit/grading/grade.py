"""Grade submissions: execute each notebook, run its lab's grader tests, score every exercise.

For one submission (`grade_submission`, which never raises: any problem becomes an error row):
1. copy the submission's folder to a work folder (other notebooks left out), so files the notebook
   writes stay with that learner's copy;
2. execute the copy to the end (labkit.grading.execute: fresh kernel, per-cell limit, no network);
3. run tests/graders/test_<lab>.py on the executed copy in a fresh Python (labkit.grading.graders),
   skipping the cells that timed out or killed the kernel;
4. score: an exercise earns its points (from the SOLUTION notebook) iff all its tests pass; its message
   is the first failure (or the cell that timed out / raised, when that is the cause).

`grade_all` does this for many submissions, in parallel worker processes with `jobs` > 1.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

from labkit.grading.exercises import Exercise, ExerciseMetadataError, read_exercises
from labkit.grading.graders import TestOutcome, grader_file, run_grader_tests
from labkit.grading.namespace import NotebookUnreadable, read_cells
from labkit.grading.submissions import SubmissionRef

if TYPE_CHECKING:  # execute (nbclient, nbformat: ~2 s to import) is imported where a notebook is run
    from labkit.grading.execute import Execution

# A submission folder bigger than this is not copied whole (only the notebook is).
MAX_COPY_BYTES, MAX_COPY_FILES = 100 * 1024 * 1024, 2000


@dataclass
class GradeSettings:
    solutions_dir: Path
    graders_dir: Path
    timeout: float = 60.0           # seconds per cell, and per grader test
    run_tagged: bool = False        # also execute cells tagged skip-grading
    work_dir: Path | None = None    # where the executed copies go (None: a temporary folder, removed)


@dataclass
class ExerciseScore:
    exercise: str
    title: str
    points: float
    max_points: float
    passed: bool
    message: str = ""
    tests: int = 0


@dataclass
class SubmissionResult:
    learner: str
    lab: str | None
    notebook: str
    status: str = "graded"          # "graded" | "error" (could not be graded; every exercise scores 0)
    error: str = ""
    exercises: list[ExerciseScore] = field(default_factory=list)
    cells: dict[str, list[int]] = field(default_factory=dict)   # {"timeout": [...], "error": [...], ...}
    seconds: float = 0.0
    restarts: int = 0
    executed: str = ""              # the executed copy (kept when a work_dir was given)

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def max_points(self) -> float:
        return sum(e.max_points for e in self.exercises)

    def to_dict(self) -> dict:
        return {**asdict(self), "points": self.points, "max_points": self.max_points}


def _zero(exercises: list[Exercise], message: str) -> list[ExerciseScore]:
    return [ExerciseScore(e.id, e.title, 0.0, e.points, False, message) for e in exercises]


def learner_exercise_cells(notebook: Path) -> dict[str, int]:
    """{exercise id: cell index} from the learner's metadata; used only to explain a failure, never to score."""
    try:
        cells = read_cells(notebook)
    except NotebookUnreadable:
        return {}
    found = {}
    for index, cell in enumerate(cells):
        meta = cell["metadata"].get("labkit") or {}
        if isinstance(meta, dict) and "exercise" in meta:
            found.setdefault(str(meta["exercise"]), index)
    return found


def _plain(message: str) -> str:
    return "not attempted yet" if message.startswith("NotImplementedError") else message


def score(exercises: list[Exercise], outcomes: list[TestOutcome], execution: Execution | None = None,
          learner_cells: dict[str, int] | None = None, problem: str = "") -> list[ExerciseScore]:
    """Points per exercise: all of its tests passed -> its points, else 0 with the first failure."""
    learner_cells = learner_cells or {}
    cell_runs = {c.index: c for c in execution.cells} if execution else {}
    scores = []
    for ex in exercises:
        tests = [o for o in outcomes if o.exercise == ex.id]
        failed = [o for o in tests if not o.passed]
        if tests and not failed:
            scores.append(ExerciseScore(ex.id, ex.title, ex.points, ex.points, True, "", len(tests)))
            continue
        if not tests:
            message = problem or f"no grader test for exercise {ex.id} (mark one with @pytest.mark.exercise)"
        else:
            message = _plain(failed[0].message)
        run = cell_runs.get(learner_cells.get(ex.id, -1))
        if run is not None and run.status in ("timeout", "died", "error"):  # the cause, rather than its effect
            message = {"timeout": f"cell {run.index} {run.error}", "died": f"cell {run.index} killed the kernel",
                       "error": f"cell {run.index} raised {run.error}"}[run.status]
        scores.append(ExerciseScore(ex.id, ex.title, 0.0, ex.points, False, message, len(tests)))
    return scores


def _folder_files(source: Path) -> list[Path]:
    """The files to copy with a submission: its folder minus notebooks, hidden files and caches; none
    when the folder is too big to copy for every learner (then the notebook goes alone)."""
    files, total = [], 0
    for root, dirs, names in os.walk(source):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("__pycache__", ".ipynb_checkpoints")]
        for name in names:
            path = Path(root) / name
            if path.suffix == ".ipynb" or name.startswith(".") or not path.is_file():
                continue
            files.append(path)
            total += path.stat().st_size
            if total > MAX_COPY_BYTES or len(files) > MAX_COPY_FILES:
                return []
    return files


def _copy_folder(notebook: Path, dest: Path) -> Path:
    """Copy the notebook and the files of its folder into dest; return the copied notebook."""
    source = notebook.parent
    for path in _folder_files(source):
        target = dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    dest.mkdir(parents=True, exist_ok=True)
    copy = dest / notebook.name
    shutil.copy2(notebook, copy)
    return copy


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)[:60] or "x"


def grade_submission(ref: SubmissionRef, settings: GradeSettings, index: int = 0) -> SubmissionResult:
    """Grade one submission. Never raises: a problem becomes status "error" with every exercise at 0."""
    start = time.monotonic()
    result = SubmissionResult(ref.learner, ref.lab, str(ref.notebook or ""))
    exercises: list[Exercise] = []
    try:
        if ref.lab is not None:
            solution = Path(settings.solutions_dir) / f"{ref.lab}.ipynb"
            if not solution.exists():
                raise _Unscorable(f"no solution notebook {solution} for lab {ref.lab}")
            exercises = read_exercises(solution)
        if ref.problem:
            raise _Unscorable(ref.problem)
        grader = grader_file(settings.graders_dir, ref.lab)
        if not grader.exists():
            raise _Unscorable(f"no grader tests for lab {ref.lab} (expected {grader})")
        read_cells(ref.notebook)  # a file that is not a notebook is an error row, before any kernel
        _grade(ref, settings, index, exercises, grader, result)
    except (_Unscorable, NotebookUnreadable, ExerciseMetadataError) as exc:
        result.status, result.error = "error", str(exc)
        result.exercises = _zero(exercises, str(exc))
    except Exception as exc:  # noqa: BLE001 - one broken submission must not stop the batch
        result.status = "error"
        result.error = f"internal error while grading: {exc.__class__.__name__}: {exc}"
        result.exercises = _zero(exercises, result.error)
        traceback.print_exc()
    result.seconds = round(time.monotonic() - start, 2)
    return result


def fast_nbformat_import() -> None:
    """Start grading processes quickly: nbformat imports jsonschema, which compiles ~40 grammars for the
    optional rfc3987_syntax "iri" format check (1.5-4 s per process here); notebooks never use that
    format, so grading processes do without it."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # an ImportError for jsonschema, which then skips it


def _worker_failed(ref: SubmissionRef, settings: GradeSettings, exc: Exception) -> SubmissionResult:
    message = f"the grading worker failed: {exc.__class__.__name__}: {exc}"
    try:
        exercises = read_exercises(Path(settings.solutions_dir) / f"{ref.lab}.ipynb") if ref.lab else []
    except Exception:  # noqa: BLE001 - the row is an error row either way
        exercises = []
    return SubmissionResult(ref.learner, ref.lab, str(ref.notebook or ""), "error", message,
                            _zero(exercises, message))


class _Unscorable(Exception):
    """This submission cannot be graded; the message says why (it becomes the error row's message)."""


def _grade(ref: SubmissionRef, settings: GradeSettings, index: int, exercises: list[Exercise], grader: Path,
           result: SubmissionResult) -> None:
    from labkit.grading.execute import execute_notebook

    keep = settings.work_dir is not None
    root = Path(settings.work_dir) if keep else Path(tempfile.mkdtemp(prefix="labkit-grade-"))
    work = root / f"{index:03d}-{_safe(ref.learner)}-{_safe(ref.lab)}"
    try:
        shutil.rmtree(work, ignore_errors=True)
        copy = _copy_folder(Path(ref.notebook), work / "notebook")
        execution = execute_notebook(copy, timeout=settings.timeout, run_tagged=settings.run_tagged)
        skip = sorted(execution.timed_out + execution.died)
        n_cells = len(execution.cells)
        budget = settings.timeout * (n_cells + 10) + 60
        run = run_grader_tests(grader, copy, work, skip, settings.timeout, budget)
        result.exercises = score(exercises, run.outcomes, execution, learner_exercise_cells(copy), run.problem)
        result.cells = {"timeout": execution.timed_out, "died": execution.died, "error": execution.errored}
        result.restarts = execution.restarts
        if run.problem:
            result.error = run.problem
        result.executed = str(copy) if keep else ""
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def grade_all(refs: list[SubmissionRef], settings: GradeSettings, jobs: int = 1,
              on_result: Callable[[SubmissionResult], None] | None = None) -> list[SubmissionResult]:
    """Grade every submission (`jobs` worker processes when > 1); results in the order of `refs`."""
    results: list[SubmissionResult | None] = [None] * len(refs)
    if jobs <= 1 or len(refs) <= 1:
        for i, ref in enumerate(refs):
            results[i] = grade_submission(ref, settings, i)
            if on_result:
                on_result(results[i])
        return results  # type: ignore[return-value]
    # spawn: workers start clean (no copied locks or event loops), each grades many submissions in turn.
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=fast_nbformat_import)
    with pool:
        futures = {pool.submit(grade_submission, ref, settings, i): i for i, ref in enumerate(refs)}
        for future in as_completed(futures):
            i = futures[future]
            try:
                results[i] = future.result()
            except Exception as exc:  # noqa: BLE001 - a worker process that died: an error row, go on
                results[i] = _worker_failed(refs[i], settings, exc)
            if on_result:
                on_result(results[i])
    return results  # type: ignore[return-value]
