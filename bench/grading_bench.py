"""Grade a class of mixed submissions of the fixture lab with `labkit grade -j J`; print the wall time.

The class (tests/fixtures/grading/submissions.py) cycles through full, partial, hanging (a cell that
loops forever: it costs the per-cell time limit), not-JSON, untouched and syntax-error notebooks, one
learner per sub-folder. The run must finish, grade every learner correctly and write the JSON, CSV and
JUnit reports. tests/test_grading.py runs a 6-learner version.

    .venv/bin/python bench/grading_bench.py [--n 30] [--jobs 2] [--timeout 5]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "grading"


def fixture_module():
    """tests/fixtures/grading/submissions.py, imported by path (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location("grading_fixture_submissions", FIXTURE / "submissions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(n: int = 30, jobs: int = 2, timeout: float = 5.0, folder: Path | None = None) -> dict:
    """Write n learners, grade them with the CLI in a fresh process, check scores and reports."""
    fixture = fixture_module()
    folder = Path(folder or tempfile.mkdtemp(prefix="labkit-grading-bench-"))
    learners = fixture.write_class(folder / "class", n)
    reports = {kind: folder / f"report.{ext}" for kind, ext in (("json", "json"), ("csv", "csv"), ("junit", "xml"))}
    cmd = [sys.executable, "-m", "labkit.cli", "grade", str(folder / "class"), "-j", str(jobs),
           "--timeout", str(timeout), "--solutions", str(fixture.SOLUTIONS), "--graders", str(fixture.GRADERS),
           "--json", str(reports["json"]), "--csv", str(reports["csv"]), "--junit", str(reports["junit"]), "-q"]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        raise RuntimeError(f"labkit grade exited {proc.returncode}: {proc.stderr[-2000:]}")
    submissions = json.loads(reports["json"].read_text())["submissions"]
    got = {s["learner"]: s["points"] for s in submissions}
    wrong = {lr: (got.get(lr), fixture.EXPECTED[v]) for lr, v in learners.items() if got.get(lr) != fixture.EXPECTED[v]}
    csv_rows = list(csv.DictReader(reports["csv"].open()))
    junit_suites = ET.parse(reports["junit"]).getroot().findall("testsuite")
    seconds: dict[str, list[float]] = {}
    for s in submissions:
        seconds.setdefault(learners[s["learner"]], []).append(s["seconds"])
    return {"submissions": n, "jobs": jobs, "timeout": timeout, "wall_seconds": round(wall, 1),
            "seconds_by_kind": {kind: round(sum(v) / len(v), 2) for kind, v in seconds.items()},
            "per_submission_seconds": round(wall * jobs / n, 2), "wrong": wrong, "learners": learners,
            "results": submissions, "csv_rows": len(csv_rows), "junit_suites": len(junit_suites),
            "mix": {v: sum(1 for x in learners.values() if x == v) for v in dict.fromkeys(learners.values())}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    result = run(args.n, args.jobs, args.timeout)
    print(f"labkit grade: {result['submissions']} submissions {result['mix']}, -j {result['jobs']}, "
          f"--timeout {result['timeout']:g}")
    print(f"wall time {result['wall_seconds']} s ({result['per_submission_seconds']} s per submission per worker)")
    print(f"mean seconds per submission, by kind: {result['seconds_by_kind']}")
    print(f"reports: JSON {len(result['results'])} submissions, CSV {result['csv_rows']} rows, "
          f"JUnit {result['junit_suites']} suites; wrong scores: {result['wrong'] or 'none'}")
    return 1 if result["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
