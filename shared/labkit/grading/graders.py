"""Run a lab's grader tests on an executed notebook, in a fresh Python, and collect each test's outcome.

The tests (tests/graders/test_<lab>.py) run in a subprocess so learner code never runs in the grading
process, and so a fresh interpreter sees each submission. The subprocess gets:
- LABKIT_SUBMISSION (the executed copy), LABKIT_SKIP_CELLS (cells that timed out or killed the kernel),
  LABKIT_CELL_TIMEOUT, and the network guard (`child_environment`);
- its own small pytest configuration (the project's addopts, e.g. --nbval, do not apply), the
  labkit.grading.plugin for the outcomes, and pytest-timeout (when installed) for a per-test limit;
- an overall time budget, after which it is killed: tests without an outcome then count as failed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from labkit.testing.no_network import child_environment

INI = """[pytest]
markers =
    exercise(id): the exercise a grader test scores
filterwarnings =
    ignore::pytest.PytestAssertRewriteWarning
"""


@dataclass
class TestOutcome:
    nodeid: str
    exercise: str | None
    passed: bool
    message: str = ""   # the first line of the failure, e.g. "AssertionError: add(2, 3) should be 5"


@dataclass
class GraderRun:
    outcomes: list[TestOutcome]
    problem: str = ""    # set when the tests could not all run (collection error, killed, crashed)


def grader_file(graders_dir: Path, lab: str) -> Path:
    return Path(graders_dir) / f"test_{lab}.py"


def _command(grader: Path, results: Path, ini: Path, timeout: float) -> list[str]:
    # --confcutdir: the graders' conftest.py and the one above (tests/conftest.py), not the project's others.
    cmd = [sys.executable, "-m", "pytest", "-q", "-c", str(ini), "--rootdir", str(grader.parent),
           "--confcutdir", str(grader.parent.parent), "--basetemp", str(results.parent / "grader-tmp"),
           "-p", "no:cacheprovider", "-p", "labkit.testing.no_network",
           "-p", "labkit.grading.plugin", "--labkit-results", str(results)]
    if importlib.util.find_spec("pytest_timeout") is not None:
        cmd += ["-p", "pytest_timeout", f"--timeout={max(1, round(timeout))}"]
    return [*cmd, str(grader)]


def parse_results(path: Path) -> tuple[dict[str, str | None], dict[str, list[dict]], list[str]]:
    """(collected {nodeid: exercise}, results {nodeid: [events]}, collection errors) from the JSON lines."""
    collected: dict[str, str | None] = {}
    results: dict[str, list[dict]] = {}
    errors: list[str] = []
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    for line in lines:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:  # a line cut short when the process was killed
            continue
        if event["event"] == "collected":
            collected[event["nodeid"]] = event["exercise"]
        elif event["event"] == "result":
            results.setdefault(event["nodeid"], []).append(event)
        elif event["event"] == "collect_error":
            errors.append(f"{event['nodeid'] or 'grader tests'}: {event['message']}")
    return collected, results, errors


def outcomes_from(collected: dict[str, str | None], results: dict[str, list[dict]],
                  missing_reason: str) -> list[TestOutcome]:
    """A test passes when its call passed and neither setup nor teardown failed."""
    outcomes = []
    for nodeid, exercise in collected.items():
        events = results.get(nodeid, [])
        bad = [e for e in events if e["outcome"] != "passed"]
        called = any(e["when"] == "call" and e["outcome"] == "passed" for e in events)
        if bad:
            event = bad[0]
            message = event["message"] or event["outcome"]
            if event["outcome"] == "skipped":
                message = f"skipped: {message}"
            outcomes.append(TestOutcome(nodeid, exercise, False, message))
        elif called:
            outcomes.append(TestOutcome(nodeid, exercise, True))
        else:
            outcomes.append(TestOutcome(nodeid, exercise, False, missing_reason))
    return outcomes


def run_grader_tests(grader: Path, notebook: Path, workdir: Path, skip_cells: list[int],
                     timeout: float, budget: float) -> GraderRun:
    """Run `grader` on `notebook`; per-test limit `timeout` s, whole run at most `budget` s."""
    workdir = Path(workdir)
    results, ini = workdir / "grader-results.jsonl", workdir / "grader-pytest.ini"
    ini.write_text(INI)
    results.unlink(missing_ok=True)
    env = child_environment()
    env.update(LABKIT_SUBMISSION=str(notebook), LABKIT_SKIP_CELLS=",".join(map(str, skip_cells)),
               LABKIT_CELL_TIMEOUT=str(timeout), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    env.pop("PYTEST_ADDOPTS", None)
    problem = ""
    with open(workdir / "grader-output.txt", "w") as log:
        proc = subprocess.Popen(_command(Path(grader).resolve(), results, ini, timeout), cwd=workdir, env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            code = proc.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code, problem = None, f"the grader tests did not finish within {budget:g} s and were stopped"
    collected, events, errors = parse_results(results)
    if errors:
        problem = "; ".join(errors)
    elif code not in (None, 0, 1) and not problem:
        tail = (workdir / "grader-output.txt").read_text(errors="replace").strip().splitlines()[-3:]
        problem = f"the grader tests ended with exit code {code}: " + " | ".join(tail)
    missing = problem or "this test did not run"
    return GraderRun(outcomes_from(collected, events, missing), problem)
