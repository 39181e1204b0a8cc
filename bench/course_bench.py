"""Course wall times: execute every notebook in notebooks/ and solutions/ offline, then grade solutions.

1. Each notebook is executed top to bottom with nbclient in the course venv's kernel (the `python3`
   kernelspec resolves to this interpreter), from the notebook's own folder, with the network guard on
   (`labkit.testing.no_network.child_environment()`: LABKIT_NO_NETWORK=1 + sitecustomize, HF offline).
   Cells tagged skip-grading run too (this is what a learner's "Run all" costs).
2. Grading with `labkit grade` (a subprocess, as an instructor runs it) on copies of one solution notebook
   (the fastest to execute, one learner per sub-folder): 1 submission with -j 1, then 30 with -j 2.
   When the time left in --budget cannot fit 30, fewer are graded and the time for 30 is extrapolated
   from the measured rate (printed as such).

Run: .venv/bin/python bench/course_bench.py [--budget 900] [--n 30]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from labkit.testing.no_network import child_environment

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path, cell_timeout: float) -> tuple[float, str]:
    """Run a notebook in a temporary copy of its folder; (seconds, "ok" or the first error)."""
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        client = NotebookClient(nb, kernel_name="python3", timeout=cell_timeout, allow_errors=False,
                                resources={"metadata": {"path": str(path.parent)}})
        started = time.perf_counter()
        try:
            client.execute(env=child_environment({**os.environ, "TMPDIR": tmp}))
            status = "ok"
        except Exception as exc:  # noqa: BLE001 - report and go on: one broken notebook must not hide the rest
            last = (str(exc).strip().splitlines() or [""])[-1][:120]
            status = f"failed: {exc.__class__.__name__}: {last}"
        return time.perf_counter() - started, status


def labkit_grade_available() -> bool:
    proc = subprocess.run([sys.executable, "-m", "labkit.cli", "grade", "--help"], capture_output=True, text=True)
    return proc.returncode == 0


def grade(solution: Path, n: int, jobs: int) -> tuple[float, dict]:
    """Grade n copies of `solution` (one learner per sub-folder); (wall seconds, JSON report)."""
    with tempfile.TemporaryDirectory(prefix="labkit-course-bench-") as tmp:
        folder = Path(tmp) / "class"
        for i in range(n):
            (folder / f"learner{i:02d}").mkdir(parents=True)
            shutil.copy(solution, folder / f"learner{i:02d}" / solution.name)
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "labkit.cli", "grade", str(folder), "-j", str(jobs), "--json", str(report),
               "-q"]
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(f"labkit grade exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
        return wall, json.loads(report.read_text())


def scores(report: dict) -> str:
    subs = report.get("submissions", [])
    got = sorted({(s.get("points"), s.get("max_points")) for s in subs}, key=str)
    return ", ".join(f"{p}/{m}" for p, m in got) or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=900, help="seconds for the whole benchmark")
    parser.add_argument("--n", type=int, default=30, help="submissions in the class run")
    parser.add_argument("--cell-timeout", type=float, default=600)
    args = parser.parse_args()
    started = time.perf_counter()
    paths = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
    print("| notebook | wall s | status |\n|---|---|---|")
    times: dict[Path, float] = {}
    for path in paths:
        seconds, status = execute(path, args.cell_timeout)
        times[path] = seconds
        print(f"| {path.relative_to(ROOT)} | {seconds:.1f} | {status} |", flush=True)
    total = sum(times.values())
    print(f"| **all {len(paths)} notebooks** | **{total:.1f}** | |")
    lessons = sum(t for p, t in times.items() if p.parent.name == "notebooks")
    head = f"HEADLINE: executing all {len(paths)} notebooks offline: {total:.0f} s (lessons {lessons:.0f} s)"

    solutions = [p for p in paths if p.parent.name == "solutions"]
    if not labkit_grade_available():
        print("\ngrading: skipped: labkit grade not available")
    elif not solutions:
        print("\ngrading: skipped: no solution notebook in solutions/")
    else:
        solution = min(solutions, key=times.get)
        print(f"\nGrading copies of {solution.relative_to(ROOT)} with `labkit grade` (each in its own sub-folder)")
        print("| submissions | -j | wall s | s per submission | scores |\n|---|---|---|---|---|")
        one, report = grade(solution, 1, 1)
        print(f"| 1 | 1 | {one:.1f} | {one:.1f} | {scores(report)} |", flush=True)
        left = args.budget - (time.perf_counter() - started)
        n = args.n
        if one * args.n / 2 * 1.2 > left:  # cannot fit: grade what fits, extrapolate to n
            n = max(4, int(left / 1.2 / one * 2) // 2 * 2)
        wall, report = grade(solution, n, 2)
        print(f"| {n} | 2 | {wall:.1f} | {wall / n:.1f} | {scores(report)} |")
        if n < args.n:
            print(f"({args.n} submissions did not fit the time budget: extrapolated {wall / n * args.n:.0f} s "
                  f"for {args.n} at -j 2)")
        extra = "" if n == args.n else f", {args.n} extrapolated {wall / n * args.n:.0f} s"
        head += f"; grading 1 submission {one:.0f} s, {n} with -j 2 {wall:.0f} s ({wall / n:.1f} s each{extra})"
    print(head)


if __name__ == "__main__":
    main()
