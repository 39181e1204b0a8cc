"""`labkit labs build|check` (labs/ from solutions/) and `labkit grade PATH...` (grade submissions).

`labkit grade` exits 0 once grading completed, whatever the learners scored (a 0 is a result, not a
failure of the command); 2 for a usage error: a path that does not exist, nothing to grade (an empty
folder), an unknown --lab or a missing solutions folder. `labkit labs check` exits 1 when labs/ is out
of date. The instructor guide (docs/instructor_guide.md) walks through both.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def add_commands(sub: argparse._SubParsersAction) -> None:
    labs = sub.add_parser("labs", help="generate labs/ from solutions/ (build), or check that it is up to date")
    labs_sub = labs.add_subparsers(dest="labs_command", required=True, metavar="{build,check}")
    for name, func, text in (("build", run_build, "write labs/NN.ipynb from every solutions/NN.ipynb"),
                             ("check", run_check, "exit 1 when labs/ differs from what `build` writes")):
        p = labs_sub.add_parser(name, help=text)
        p.add_argument("--solutions", type=Path, metavar="DIR", help="solutions folder (default: <project>/solutions)")
        p.add_argument("--labs", type=Path, metavar="DIR", help="labs folder (default: <project>/labs)")
        p.set_defaults(func=func)

    g = sub.add_parser("grade", help="grade notebooks: one, several, or a folder of submissions",
                       description="Grade notebooks: a notebook, several, a folder of notebooks (one learner "
                       "per file) or a folder of sub-folders (one learner per sub-folder).",
                       epilog="Exit status: 0 when grading completed, whatever the scores; 2 on a usage error "
                       "(no such path, nothing to grade, unknown --lab). See docs/instructor_guide.md.")
    g.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    g.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded in parallel (default 1)")
    g.add_argument("--json", type=Path, metavar="FILE", help="write the JSON report here")
    g.add_argument("--csv", type=Path, metavar="FILE", help="write the CSV report (learner x exercise) here")
    g.add_argument("--junit", type=Path, metavar="FILE", help="write a JUnit XML report here")
    g.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                   help="time limit per notebook cell and per grader test (default 60)")
    g.add_argument("--lab", metavar="NAME", help="the lab every notebook answers (default: from the file name)")
    g.add_argument("--solutions", type=Path, metavar="DIR", help="solutions folder (default: <project>/solutions)")
    g.add_argument("--graders", type=Path, metavar="DIR", help="grader tests folder (default: <project>/tests/graders)")
    g.add_argument("--keep", type=Path, metavar="DIR", help="keep the executed copies (and files they wrote) here")
    g.add_argument("--run-all", action="store_true", help="also execute cells tagged skip-grading")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no table")
    g.set_defaults(func=run_grade)


def _dirs(args: argparse.Namespace) -> tuple[Path, Path]:
    from labkit.grading.exercises import project_root

    root = project_root()
    return (args.solutions or root / "solutions"), (getattr(args, "labs", None) or root / "labs")


def run_build(args: argparse.Namespace) -> int:
    from labkit.grading.build import build_labs

    solutions, labs = _dirs(args)
    try:
        result = build_labs(solutions, labs)
    except ValueError as exc:  # malformed markers or metadata: the message names notebook and cell
        print(f"labkit labs build: {exc}", file=sys.stderr)
        return 1
    for path in result.written:
        print(f"wrote   {path}")
    for path in result.removed:
        print(f"removed {path} (no solution)")
    print(f"{len(result.written)} written, {len(result.unchanged)} unchanged, {len(result.removed)} removed")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from labkit.grading.build import check_labs

    solutions, labs = _dirs(args)
    try:
        problems = check_labs(solutions, labs)
    except ValueError as exc:
        print(f"labkit labs check: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem)
    print("labs/ is up to date" if not problems else f"{len(problems)} lab(s) out of date: run `labkit labs build`")
    return 1 if problems else 0


def run_grade(args: argparse.Namespace) -> int:
    from rich.console import Console

    from labkit.grading.exercises import lab_names, project_root
    from labkit.grading.grade import GradeSettings, fast_nbformat_import
    from labkit.grading.report import render_table, write_csv, write_json, write_junit
    from labkit.grading.submissions import UsageError, discover

    err = Console(stderr=True)
    root = project_root()
    solutions = args.solutions or root / "solutions"
    graders = args.graders or root / "tests" / "graders"
    try:
        if not solutions.is_dir():
            raise UsageError(f"{solutions}: no solutions folder (pass --solutions)")
        if args.jobs < 1 or args.timeout <= 0:
            raise UsageError("-j must be at least 1 and --timeout more than 0")
        refs, warnings = discover(args.paths, lab_names(solutions), args.lab)
    except UsageError as exc:
        print(f"labkit grade: error: {exc}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"labkit grade: warning: {warning}", file=sys.stderr)
    fast_nbformat_import()
    settings = GradeSettings(solutions, graders, args.timeout, args.run_all, args.keep)
    start = time.monotonic()
    results = _grade_with_progress(refs, settings, args.jobs, err, quiet=args.quiet)
    wall = time.monotonic() - start
    for path, writer in ((args.json, write_json), (args.csv, write_csv), (args.junit, write_junit)):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            writer(results, path)
    if not args.quiet:
        render_table(results, Console())
    print(f"graded {len(results)} submission(s) in {wall:.1f} s with -j {args.jobs}", file=sys.stderr)
    return 0


def _grade_with_progress(refs, settings, jobs: int, console, quiet: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from labkit.grading.grade import grade_all

    if quiet:
        return grade_all(refs, settings, jobs)
    columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("", total=len(refs))

        def done(result) -> None:
            progress.update(task, advance=1, description=f"{result.learner}: {result.points:g}/{result.max_points:g}")

        return grade_all(refs, settings, jobs, on_result=done)
