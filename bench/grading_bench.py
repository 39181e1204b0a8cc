"""Grade a class of mixed submissions of the fixture lab with `labkit grade -j J`, with and without the sandbox.

The class (tests/fixtures/grading/submissions.py) cycles through full, partial, hanging (a cell that
loops forever: it costs the per-cell time limit), not-JSON, untouched and syntax-error notebooks, one
learner per sub-folder. Each run must finish, grade every learner correctly and write the JSON, CSV and
JUnit reports. The same class is graded in the sandbox (the default) and with --no-sandbox, alternately
--repeat times, so the difference of the medians is the sandbox's cost per submission on this machine.
tests/test_grading.py runs a 6-learner version (sandbox only).

    .venv/bin/python bench/grading_bench.py [--n 30] [--jobs 2] [--timeout 5] [--repeat 3] [--labs]

--labs first grades each course solution once each way (seconds, points and the sandbox's peak memory,
which is what the memory limit must leave room for).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import statistics
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


def run(n: int = 30, jobs: int = 2, timeout: float = 5.0, folder: Path | None = None, sandbox: bool = True) -> dict:
    """Write n learners, grade them with the CLI in a fresh trusted process, check scores and reports."""
    fixture = fixture_module()
    folder = Path(folder or tempfile.mkdtemp(prefix="labkit-grading-bench-"))
    learners = fixture.write_class(folder / "class", n)  # the same n learners each time
    tag = "sandbox" if sandbox else "nosandbox"
    reports = {kind: folder / f"report-{tag}.{ext}" for kind, ext in (("json", "json"), ("csv", "csv"),
                                                                       ("junit", "xml"))}
    cmd = [sys.executable, "-P", "-m", "labkit.cli", "grade", str(folder / "class"), "-j", str(jobs),
           "--timeout", str(timeout), "--solutions", str(fixture.SOLUTIONS), "--graders", str(fixture.GRADERS),
           "--json", str(reports["json"]), "--csv", str(reports["csv"]), "--junit", str(reports["junit"]), "-q",
           *([] if sandbox else ["--no-sandbox"])]
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
    memory: dict[str, list[float]] = {}
    for s in submissions:
        seconds.setdefault(learners[s["learner"]], []).append(s["seconds"])
        if s.get("peak_memory_mb") is not None:
            memory.setdefault(learners[s["learner"]], []).append(s["peak_memory_mb"])
    return {"submissions": n, "jobs": jobs, "timeout": timeout, "sandbox": sandbox, "wall_seconds": round(wall, 1),
            "seconds_by_kind": {kind: round(sum(v) / len(v), 2) for kind, v in seconds.items()},
            "peak_memory_mb_by_kind": {kind: round(max(v)) for kind, v in memory.items()},
            "per_submission_seconds": round(wall * jobs / n, 2), "wrong": wrong, "learners": learners,
            "results": submissions, "csv_rows": len(csv_rows), "junit_suites": len(junit_suites),
            "mix": {v: sum(1 for x in learners.values() if x == v) for v in dict.fromkeys(learners.values())}}


def compare(n: int, jobs: int, timeout: float, repeat: int) -> dict:
    """The same class graded `repeat` times each way, alternating; medians and the sandbox's cost."""
    folder = Path(tempfile.mkdtemp(prefix="labkit-grading-bench-"))
    runs: dict[bool, list[dict]] = {True: [], False: []}
    for _ in range(repeat):
        for sandbox in (True, False):
            runs[sandbox].append(run(n, jobs, timeout, folder, sandbox))
    walls = {s: [r["wall_seconds"] for r in rs] for s, rs in runs.items()}
    median = {s: statistics.median(w) for s, w in walls.items()}
    kinds = runs[True][0]["seconds_by_kind"]
    by_kind = {k: (statistics.median(r["seconds_by_kind"][k] for r in runs[True]),
                   statistics.median(r["seconds_by_kind"][k] for r in runs[False])) for k in kinds}
    return {"runs": runs, "walls": walls, "median": median, "by_kind": by_kind,
            "overhead_per_submission": round((median[True] - median[False]) * jobs / n, 2),
            "ratio": round(median[True] / median[False], 2)}


def course_labs(timeout: float = 180.0) -> list[dict]:
    """Each solutions/*.ipynb graded once in the sandbox and once without: seconds, points, peak memory."""
    rows = []
    folder = Path(tempfile.mkdtemp(prefix="labkit-grading-labs-"))
    for solution in sorted((ROOT / "solutions").glob("*.ipynb")):
        row = {"lab": solution.stem}
        for sandbox in (True, False):
            report = folder / f"{solution.stem}-{sandbox}.json"
            cmd = [sys.executable, "-P", "-m", "labkit.cli", "grade", str(solution), "--timeout", str(timeout),
                   "--json", str(report), "-q", *([] if sandbox else ["--no-sandbox"])]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=folder)
            if proc.returncode != 0:
                raise RuntimeError(f"labkit grade exited {proc.returncode}: {proc.stderr[-2000:]}")
            sub = json.loads(report.read_text())["submissions"][0]
            key = "sandbox" if sandbox else "no_sandbox"
            row[key] = {"seconds": sub["seconds"], "points": f"{sub['points']:g}/{sub['max_points']:g}",
                        "peak_memory_mb": sub.get("peak_memory_mb")}
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--labs", action="store_true", help="also grade each course solution both ways")
    args = parser.parse_args()
    if args.labs:
        print("course solutions, one submission each (sandbox / no sandbox; peak memory of the sandbox):")
        for row in course_labs():
            a, b = row["sandbox"], row["no_sandbox"]
            print(f"  {row['lab']}: {a['seconds']:.1f} s / {b['seconds']:.1f} s, {a['points']} / {b['points']}, "
                  f"peak {a['peak_memory_mb']} MB")
    result = compare(args.n, args.jobs, args.timeout, args.repeat)
    first = result["runs"][True][0]
    print(f"labkit grade: {args.n} submissions {first['mix']}, -j {args.jobs}, --timeout {args.timeout:g}, "
          f"{args.repeat} runs each way (alternating)")
    for sandbox, label in ((True, "sandbox (bubblewrap)"), (False, "--no-sandbox")):
        walls = result["walls"][sandbox]
        print(f"{label}: wall {', '.join(f'{w:.1f}' for w in walls)} s; median {result['median'][sandbox]:.1f} s "
              f"({result['median'][sandbox] * args.jobs / args.n:.2f} s per submission per worker)")
    print(f"sandbox overhead: {result['overhead_per_submission']:+.2f} s per submission "
          f"(median wall ratio {result['ratio']:.2f})")
    print("median seconds per submission by kind (sandbox / no sandbox): " + ", ".join(
        f"{k} {a:.2f}/{b:.2f}" for k, (a, b) in result["by_kind"].items()))
    print(f"peak memory of a sandbox by kind (MB, cgroup): {first['peak_memory_mb_by_kind'] or 'not measured'}")
    print(f"HEADLINE: labkit grade, {args.n} mixed submissions with -j {args.jobs}: {result['median'][True]:.1f} s in "
          f"the sandbox, {result['median'][False]:.1f} s without (median of {args.repeat}); the sandbox costs "
          f"{result['overhead_per_submission']:+.2f} s per submission")
    wrong = {s: [r["wrong"] for r in rs if r["wrong"]] for s, rs in result["runs"].items()}
    print(f"reports: JSON {len(first['results'])} submissions, CSV {first['csv_rows']} rows, "
          f"JUnit {first['junit_suites']} suites; wrong scores: {wrong if any(wrong.values()) else 'none'}")
    return 1 if any(wrong.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
