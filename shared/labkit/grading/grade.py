"""Grade submissions: each one executed and probed in its own sandbox, then scored by trusted checks.

For one submission (`grade_submission`, which never raises: any problem becomes an error row):
1. stage: copy the submission's folder (other notebooks left out) to a fresh folder;
2. sandbox (labkit.grading.sandbox, labkit.grading.driver): execute the copy to the end, then run the
   lab's probes (tests/graders/<lab>/probes.py) on what it defined; the results come back as plain data;
3. score, here and without running learner code: the lab's checks (tests/graders/<lab>/checks.py)
   compare the results with the expected values; an exercise earns its points (read from the SOLUTION
   notebook) iff all its checks pass. Its message is the cause when the cell timed out, raised or killed
   the kernel, else the first failing check's public message.

`grade_all` does this for many submissions, `jobs` sandboxes at a time (threads: the work happens in
the sandboxes). This process is the trusted side: labkit.commands.grading starts it with a sys.path
that no submission folder is on.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from labkit.grading.checking import CheckOutcome, Grader, GraderError, ProbeRun, load_grader, run_checks
from labkit.grading.exercises import Exercise, ExerciseMetadataError, read_exercises
from labkit.grading.notebooks import NotebookUnreadable, read_cells
from labkit.grading.redact import public
from labkit.grading.sandbox import INSIDE, SANDBOX_UID, Limits, Mounts, SandboxUnavailable, run_job, sandbox_problem
from labkit.grading.stage import stage
from labkit.grading.submissions import SubmissionRef

CELL_STATUSES = {"ok", "error", "timeout", "died", "skipped", "cap"}
PROBE_STATUSES = {"ok", "timeout", "died", "error", "missing"}


@dataclass
class GradeSettings:
    solutions_dir: Path
    graders_dir: Path
    timeout: float = 60.0           # seconds per cell, and per probe
    run_tagged: bool = False        # also execute cells tagged skip-grading
    work_dir: Path | None = None    # keep each executed copy here (None: nothing is kept)
    limits: Limits = field(default_factory=Limits)
    sandbox: bool = True            # False: --no-sandbox (trusted notebooks only)
    cache_dir: Path | None = None   # labkit's cache, shared read-only (None: labkit.paths.cache_dir())


@dataclass
class ExerciseScore:
    exercise: str
    title: str
    points: float
    max_points: float
    passed: bool
    message: str = ""
    tests: int = 0
    hint: str = ""


@dataclass
class SubmissionResult:
    learner: str
    lab: str | None
    notebook: str
    status: str = "graded"          # "graded" | "error" (could not be graded; every exercise scores 0)
    error: str = ""
    exercises: list[ExerciseScore] = field(default_factory=list)
    cells: dict[str, list[int]] = field(default_factory=dict)   # {"timeout", "died", "error", "cap": [indices]}
    seconds: float = 0.0
    restarts: int = 0
    sandbox: str = ""               # "bubblewrap", "bubblewrap, no cgroup" or "none"
    peak_memory_mb: float | None = None
    executed: str = ""              # the executed copy (kept with --keep)

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def max_points(self) -> float:
        return sum(e.max_points for e in self.exercises)

    def to_dict(self) -> dict:
        return {**asdict(self), "points": self.points, "max_points": self.max_points}

    @classmethod
    def from_dict(cls, data: dict) -> SubmissionResult:
        """Back from a JSON report (labkit grade merge)."""
        known = {f.name for f in fields(cls)}
        result = cls(**{k: v for k, v in data.items() if k in known and k != "exercises"})
        names = {f.name for f in fields(ExerciseScore)}
        result.exercises = [ExerciseScore(**{k: v for k, v in e.items() if k in names}) for e in data["exercises"]]
        return result


def _zero(exercises: list[Exercise], message: str) -> list[ExerciseScore]:
    return [ExerciseScore(e.id, e.title, 0.0, e.points, False, message) for e in exercises]


def learner_exercise_cells(notebook: Path) -> dict[str, int]:
    """{exercise id: cell index} from the learner's metadata; used only to explain a failure, never to score."""
    try:
        cells = read_cells(notebook)
    except NotebookUnreadable:
        return {}
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        meta = cell["metadata"].get("labkit") if isinstance(cell["metadata"], dict) else None
        if isinstance(meta, dict) and "exercise" in meta:
            found.setdefault(str(meta["exercise"]), index)
    return found


@dataclass
class CellInfo:
    index: int
    status: str
    error: str = ""


def score(exercises: list[Exercise], outcomes: list[CheckOutcome], cells: dict[int, CellInfo] | None = None,
          learner_cells: dict[str, int] | None = None, problem: str = "") -> list[ExerciseScore]:
    """Points per exercise: all of its checks passed and its cell finished -> its points, else 0 with the
    cause (the cell timed out, raised or killed the kernel) or the first failed check's message."""
    cells, learner_cells = cells or {}, learner_cells or {}
    scores = []
    for ex in exercises:
        checks = [o for o in outcomes if o.exercise == ex.id]
        failed = [o for o in checks if not o.passed]
        run = cells.get(learner_cells.get(ex.id, -1))
        broken = run is not None and run.status in ("timeout", "died", "error")  # its cell did not finish
        if checks and not failed and not broken:
            scores.append(ExerciseScore(ex.id, ex.title, ex.points, ex.points, True, "", len(checks)))
            continue
        first = failed[0] if failed else None
        message = first.message if first else (f"no check for exercise {ex.id}" if not checks else "")
        if first and first.not_attempted:
            message = "not attempted yet"
        elif problem and (first is None or "did not run" in message or "could not be read" in message):
            message = problem
        if broken and run is not None:  # the cause, rather than its effect
            message = {"timeout": f"cell {run.index} {run.error}", "died": f"cell {run.index} killed the kernel",
                       "error": f"cell {run.index} raised {run.error}"}[run.status]
        scores.append(ExerciseScore(ex.id, ex.title, 0.0, ex.points, False, public(message), len(checks),
                                    first.hint if first else ""))
    return scores


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)[:60] or "x"


class _Unscorable(Exception):
    """This submission cannot be graded; the message says why (it becomes the error row's message)."""


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
        lab, notebook = ref.lab, ref.notebook
        assert lab is not None and notebook is not None, "a ref without a lab or notebook comes with a problem"
        grader = load_grader(settings.graders_dir, lab, [e.id for e in exercises])
        read_cells(notebook)  # a file that is not a notebook is an error row, before any sandbox
        _grade(ref.learner, lab, notebook, settings, index, exercises, grader, result)
    except (_Unscorable, NotebookUnreadable, ExerciseMetadataError, GraderError, SandboxUnavailable) as exc:
        result.status, result.error = "error", str(exc)
        result.exercises = _zero(exercises, str(exc))
    except Exception as exc:  # noqa: BLE001 - one broken submission must not stop the batch
        result.status = "error"
        result.error = f"internal error while grading: {exc.__class__.__name__}: {exc}"
        result.exercises = _zero(exercises, result.error)
        traceback.print_exc()
    result.seconds = round(time.monotonic() - start, 2)
    return result


def _job(notebook: str, paths: dict, settings: GradeSettings, grader: Grader, grader_file: str) -> dict:
    return {"notebook": notebook, "paths": paths, "cell_timeout": settings.timeout, "run_tagged": settings.run_tagged,
            "seconds": settings.limits.seconds, "cell_output_bytes": settings.limits.cell_output_mb * 2**20,
            "probes_source": grader.probes_source, "grader_file": grader_file, "keep": settings.work_dir is not None,
            "probes": [{"name": p.name, "timeout": p.timeout or settings.timeout} for p in grader.probes]}


def _cache(settings: GradeSettings) -> Path | None:
    from labkit.paths import cache_dir

    path = Path(settings.cache_dir or cache_dir())
    return path if path.is_dir() else None


def _grade(learner: str, lab: str, notebook: Path, settings: GradeSettings, index: int, exercises: list[Exercise],
           grader: Grader, result: SubmissionResult) -> None:
    if settings.sandbox and (problem := sandbox_problem()):
        raise SandboxUnavailable(f"no sandbox: {problem}")
    keep = settings.work_dir is not None
    root = Path(settings.work_dir) if settings.work_dir is not None else Path(tempfile.mkdtemp(prefix="labkit-grade-"))
    work = root / f"{index:03d}-{_safe(learner)}-{_safe(lab)}"
    try:
        shutil.rmtree(work, ignore_errors=True)
        copy = stage(notebook, work / "in")
        host = {name: work / name for name in ("work", "home")}
        for d in host.values():
            d.mkdir(parents=True)
        cache, data = _cache(settings), grader.data_dir
        if settings.sandbox:
            if keep and os.geteuid() == 0:
                os.chown(host["work"], SANDBOX_UID, SANDBOX_UID)
            paths = {"in": INSIDE["in"], "work": INSIDE["work"], "home": INSIDE["home"],
                     "cache": INSIDE["cache"] if cache else None}
            grader_file = f"{INSIDE['grader']}/probes.py"
        else:
            paths = {"in": str(work / "in"), "work": str(host["work"]), "home": str(host["home"]),
                     "cache": str(cache) if cache else None}
            grader_file = str(grader.folder / "probes.py")
        job = _job(copy.name, paths, settings, grader, grader_file)
        mounts = Mounts(work / "in", host["work"] if keep else None, cache, data)
        run = run_job(job, mounts, settings.limits, sandbox=settings.sandbox, name=f"{index:03d}", host_dirs=host)
        _score(run, exercises, grader, copy, settings, result)
        result.executed = str(host["work"] / copy.name) if keep else ""
        if keep:
            (work / "sandbox-stderr.txt").write_text(run.stderr)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def _score(run, exercises: list[Exercise], grader: Grader, copy: Path, settings: GradeSettings,
           result: SubmissionResult) -> None:
    cells: dict[int, CellInfo] = {}
    probes: dict[str, ProbeRun] = {}
    problem = ""
    for event in run.events:
        kind = event.get("event")
        if kind == "cell" and type(event.get("index")) is int and event.get("status") in CELL_STATUSES:
            cells[event["index"]] = CellInfo(event["index"], event["status"], public(str(event.get("error", "")),
                                                                                     secret=grader.secret))
        elif kind == "probe" and isinstance(event.get("name"), str) and event.get("status") in PROBE_STATUSES:
            text = event.get("text") if isinstance(event.get("text"), str) else ""
            probes[event["name"]] = ProbeRun(event["status"], text)
        elif kind == "done" and type(event.get("restarts")) is int:
            result.restarts = event["restarts"]
        elif kind == "fatal":
            problem = "the notebook could not be executed: " + public(str(event.get("error", "")), secret=grader.secret)
    limits = settings.limits
    if run.capped:
        problem = f"stopped at the time cap of {limits.seconds:g} s for one submission"
    elif run.overflow:
        problem = f"stopped: the submission sent back more than {limits.output_mb} MB"
    elif not any(e.get("event") == "done" for e in run.events) and not problem:
        problem = f"the sandbox ended early (exit code {run.returncode})"
    outcomes = run_checks(grader, probes, f" after {settings.timeout:g} s")
    result.exercises = score(exercises, outcomes, cells, learner_exercise_cells(copy), problem)
    result.cells = {s: sorted(i for i, c in cells.items() if c.status == s)
                    for s in ("timeout", "died", "error", "cap")}
    result.error = problem
    result.sandbox = ("bubblewrap" if settings.sandbox else "none") + ("" if run.cgroup else ", no cgroup")
    result.peak_memory_mb = run.peak_memory_mb


def grade_all(refs: list[SubmissionRef], settings: GradeSettings, jobs: int = 1,
              on_result: Callable[[SubmissionResult], None] | None = None) -> list[SubmissionResult]:
    """Grade every submission, `jobs` at a time; results in the order of `refs`."""
    for lab in sorted({r.lab for r in refs if r.lab and not r.problem}):  # load each grader once, up front
        try:
            solution = Path(settings.solutions_dir) / f"{lab}.ipynb"
            load_grader(settings.graders_dir, lab, [e.id for e in read_exercises(solution)])
        except (GraderError, ExerciseMetadataError, NotebookUnreadable, OSError):
            pass  # each of its submissions becomes an error row naming the problem
    results: dict[int, SubmissionResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grade_submission, ref, settings, i): i for i, ref in enumerate(refs)}
        for future in as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            if on_result:
                on_result(results[i])
    return [results[i] for i in range(len(refs))]
