"""`labkit labs build|check` (labs/ from solutions/) and `labkit grade PATH...` (grade submissions).

`labkit grade` exits 0 once grading completed, whatever the learners scored (a 0 is a result, not a
failure of the command); 2 for a usage error: a path that does not exist, nothing to grade (an empty
folder), an unknown --lab, a missing solutions folder, or no sandbox (bubblewrap) without --no-sandbox.
`labkit grade merge` joins shard reports. `labkit labs check` exits 1 when labs/ is out of date. The
instructor guide (docs/instructor_guide.md) walks through all of them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from labkit.grading.sandbox import Limits


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
                       "per file) or a folder of sub-folders (one learner per sub-folder). Each submission runs "
                       "in its own sandbox (bubblewrap). `labkit grade merge REPORT.json...` joins the JSON "
                       "reports of several --shard runs instead, writing the same kinds of report.",
                       epilog="Exit status: 0 when grading completed, whatever the scores; 2 on a usage error "
                       "(no such path, nothing to grade, unknown --lab, no sandbox). See docs/instructor_guide.md.")
    g.add_argument("paths", nargs="+", metavar="PATH")
    g.add_argument("-j", "--jobs", type=int, default=1, help="submissions graded in parallel (default 1)")
    g.add_argument("--json", type=Path, metavar="FILE", help="write the JSON report here")
    g.add_argument("--csv", type=Path, metavar="FILE", help="write the CSV report (learner x exercise) here")
    g.add_argument("--junit", type=Path, metavar="FILE", help="write a JUnit XML report here")
    g.add_argument("--feedback", type=Path, metavar="DIR",
                   help="write one feedback file per learner (DIR/<learner>.md)")
    g.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                   help="time limit per notebook cell and per probe (default 60)")
    g.add_argument("--max-time", type=float, default=Limits.seconds, metavar="SECONDS",
                   help=f"wall-clock cap for one whole submission (default {Limits.seconds:g})")
    g.add_argument("--memory", type=int, default=Limits.memory_mb, metavar="MB",
                   help=f"memory for one submission, all its processes together (default {Limits.memory_mb})")
    g.add_argument("--shard", metavar="K/N", help="grade only the K-th of N deterministic slices of the learners")
    g.add_argument("--lab", metavar="NAME", help="the lab every notebook answers (default: from the file name)")
    g.add_argument("--solutions", type=Path, metavar="DIR", help="solutions folder (default: <project>/solutions)")
    g.add_argument("--graders", type=Path, metavar="DIR", help="graders folder (default: <project>/tests/graders)")
    g.add_argument("--keep", type=Path, metavar="DIR", help="keep the executed copies (and files they wrote) here")
    g.add_argument("--run-all", action="store_true", help="also execute cells tagged skip-grading")
    g.add_argument("--no-sandbox", action="store_true",
                   help="run learner code without the OS sandbox: only for notebooks you trust (warned in reports)")
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


def trusted_sys_path(untrusted: list[Path]) -> None:
    """Like `python -P`: drop the working directory (and any folder inside what is being graded) from
    sys.path, so nothing a learner put there can be imported by the grading process from here on.
    (`python -m labkit.cli` from such a folder has imported modules before this runs: use the `labkit`
    script or `python -P`, as docs/instructor_guide.md says.)"""
    cwd = Path.cwd().resolve()
    roots = [p.resolve() for p in untrusted]

    def unsafe(entry: str) -> bool:
        if entry in ("", "."):
            return True
        path = Path(entry).resolve()
        return path == cwd or any(path == r or path.is_relative_to(r) for r in roots)

    sys.path[:] = [p for p in sys.path if not unsafe(p)]


def _write_reports(args: argparse.Namespace, results, shard: str | None) -> None:
    from labkit.grading.report import write_csv, write_feedback, write_json, write_junit

    for path, writer in ((args.json, write_json), (args.csv, write_csv), (args.junit, write_junit)):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            if writer is write_json:
                write_json(results, path, shard)
            else:
                writer(results, path)
    if args.feedback:
        write_feedback(results, args.feedback)


def run_merge(args: argparse.Namespace) -> int:
    """`labkit grade merge A.json B.json ...`: one set of reports from the shards' JSON reports."""
    from rich.console import Console

    from labkit.grading.report import ReportError, merge, render_table

    try:
        if len(args.paths) < 2:
            raise ReportError("labkit grade merge needs at least one JSON report")
        results, problems = merge([Path(p) for p in args.paths[1:]])
    except ReportError as exc:
        print(f"labkit grade merge: error: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"labkit grade merge: warning: {problem}", file=sys.stderr)
    _write_reports(args, results, None)
    if not args.quiet:
        render_table(results, Console())
    print(f"merged {len(results)} submission(s) from {len(args.paths) - 1} report(s)", file=sys.stderr)
    return 0


def run_grade(args: argparse.Namespace) -> int:
    trusted_sys_path([Path(p) for p in args.paths])  # before anything else is imported
    if args.paths and args.paths[0] == "merge":
        return run_merge(args)
    from rich.console import Console

    from labkit.grading.exercises import lab_names, project_root
    from labkit.grading.grade import GradeSettings
    from labkit.grading.report import NO_SANDBOX, render_table
    from labkit.grading.sandbox import sandbox_problem
    from labkit.grading.submissions import UsageError, discover, parse_shard, shard

    paths = [Path(p) for p in args.paths]
    err = Console(stderr=True)
    root = project_root()
    solutions = args.solutions or root / "solutions"
    graders = args.graders or root / "tests" / "graders"
    try:
        if not solutions.is_dir():
            raise UsageError(f"{solutions}: no solutions folder (pass --solutions)")
        if args.jobs < 1 or args.timeout <= 0 or args.max_time <= 0 or args.memory < 256:
            raise UsageError("-j must be at least 1, --timeout and --max-time more than 0, --memory at least 256")
        refs, warnings = discover(paths, lab_names(solutions), args.lab)
        if args.shard:
            refs = shard(refs, *parse_shard(args.shard))
        if not args.no_sandbox and (problem := sandbox_problem()):
            raise UsageError(f"no sandbox for untrusted notebooks: {problem}")
    except UsageError as exc:
        print(f"labkit grade: error: {exc}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"labkit grade: warning: {warning}", file=sys.stderr)
    if args.no_sandbox:
        print(f"labkit grade: warning: {NO_SANDBOX}", file=sys.stderr)
    limits = Limits(seconds=args.max_time, memory_mb=args.memory)
    settings = GradeSettings(solutions, graders, args.timeout, args.run_all, args.keep, limits,
                             sandbox=not args.no_sandbox)
    start = time.monotonic()
    results = _grade_with_progress(refs, settings, args.jobs, err, quiet=args.quiet)
    wall = time.monotonic() - start
    _write_reports(args, results, args.shard)
    if not args.quiet:
        render_table(results, Console())
    print(f"graded {len(results)} submission(s) in {wall:.1f} s with -j {args.jobs}"
          f"{f' (shard {args.shard})' if args.shard else ''}", file=sys.stderr)
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
