"""Grading reports: a table for the terminal, JSON, CSV and JUnit XML files, and feedback per learner.

All reports have one entry per learner and lab (a "submission") and, inside it, one per exercise:
points, max points, pass/fail and a one-line public message. A submission that could not be graded (not
a notebook, unknown lab, two notebooks of one lab) has status "error", its message, and every exercise
at 0. Warnings about the whole run (graded without a sandbox) are in every report.
- JSON: {"summary": {...}, "warnings": [...], "shard": "K/N" | null, "submissions": [{learner, lab,
  notebook, status, error, points, max_points, cells: {timeout, died, error}, seconds, restarts, sandbox,
  peak_memory_mb, exercises: [{exercise, title, points, max_points, passed, message, tests, hint}]}]};
- CSV: one row per learner x exercise (an error row without a known lab has an empty exercise);
- JUnit: one <testsuite> per submission, one <testcase> per exercise (CI systems display these);
- feedback: FOLDER/<learner>.md, to hand back: each lab, each exercise, points, message and hint.
`read_json` and `merge` join the JSON reports of several shards (`labkit grade merge`).
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from labkit.grading.grade import SubmissionResult

CSV_FIELDS = ["learner", "lab", "exercise", "title", "points", "max_points", "passed", "message", "status",
              "notebook"]


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(x, 2)


NO_SANDBOX = ("graded WITHOUT a sandbox (--no-sandbox): learner code could read the graders and solutions, "
              "change other learners' grades and reach the network; trust these grades only for notebooks you trust")


def run_warnings(results: list[SubmissionResult]) -> list[str]:
    """Warnings about how the run was made, from the rows themselves."""
    warnings = []
    if any(r.sandbox.startswith("none") for r in results):
        warnings.append(NO_SANDBOX)
    if any(r.sandbox.endswith("no cgroup") for r in results):
        warnings.append("no cgroup could be created: memory is limited per process (address space), not for "
                        "all of a submission's processes together")
    return warnings


def summary(results: list[SubmissionResult]) -> dict:
    return {"submissions": len(results), "graded": sum(r.status == "graded" for r in results),
            "errors": sum(r.status == "error" for r in results),
            "points": _num(sum(r.points for r in results)), "max_points": _num(sum(r.max_points for r in results))}


def write_json(results: list[SubmissionResult], path: Path, shard: str | None = None) -> None:
    data = {"summary": summary(results), "warnings": run_warnings(results), "shard": shard,
            "submissions": [r.to_dict() for r in results]}
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


class ReportError(ValueError):
    """A JSON report cannot be merged; the message names the file."""


def read_json(path: Path) -> tuple[list[SubmissionResult], str | None]:
    """(submissions, shard) of a report written by write_json."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return [SubmissionResult.from_dict(s) for s in data["submissions"]], data.get("shard")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReportError(f"{path}: not a labkit grade JSON report ({exc.__class__.__name__}: {exc})") from exc


def merge(paths: list[Path]) -> tuple[list[SubmissionResult], list[str]]:
    """All submissions of the reports, in learner order; problems: a submission in two reports (it is
    kept once), shards that are missing or mixed."""
    results: list[SubmissionResult] = []
    seen: dict[tuple[str, str | None, str], Path] = {}
    shards: dict[str, set[str]] = {}
    problems: list[str] = []
    for path in paths:
        rows, shard = read_json(path)
        if shard:
            shards.setdefault(shard.split("/")[-1], set()).add(shard)
        for r in rows:
            key = (r.learner, r.lab, r.notebook)
            if key in seen:
                problems.append(f"{r.learner} / {r.lab} is in both {seen[key]} and {path}: kept once")
                continue
            seen[key] = path
            results.append(r)
    if len(shards) > 1:
        problems.append(f"the reports come from different shardings: {sorted(shards)} shards")
    for n, got in shards.items():
        missing = [f"{k}/{n}" for k in range(1, int(n) + 1) if f"{k}/{n}" not in got]
        if missing:
            problems.append(f"shard(s) {', '.join(missing)} missing: those learners are not in the merged report")
    return sorted(results, key=lambda r: (r.learner, r.lab or "", r.notebook)), problems


def feedback_markdown(learner: str, results: list[SubmissionResult]) -> str:
    """One learner's feedback: per lab, the score, then each exercise with points, message and hint."""
    lines = [f"# Feedback for {learner}", ""]
    for r in results:
        lines += [f"## Lab {r.lab or '(unknown)'}: {_num(r.points)}/{_num(r.max_points)} points", ""]
        if r.status == "error":
            lines += [f"This notebook could not be graded: {r.error}", ""]
        lines += ["| exercise | points | result |", "|---|---|---|"]
        for e in r.exercises:
            result = "passed" if e.passed else (e.message or "not passed").replace("|", "\\|")
            lines.append(f"| {e.exercise} {e.title} | {_num(e.points)}/{_num(e.max_points)} | {result} |")
        hints = [(e.exercise, e.hint) for e in r.exercises if not e.passed and e.hint]
        if hints:
            lines += ["", "Hints:", *[f"- {ex}: {hint}" for ex, hint in hints]]
        lines.append("")
    return "\n".join(lines)


def write_feedback(results: list[SubmissionResult], folder: Path) -> list[Path]:
    """FOLDER/<learner>.md for every learner (file names made safe); the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    by_learner: dict[str, list[SubmissionResult]] = {}
    for r in results:
        by_learner.setdefault(r.learner, []).append(r)
    written = []
    for learner, rows in sorted(by_learner.items()):
        name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in learner).strip(".") or "learner"
        path = folder / f"{name}.md"
        path.write_text(feedback_markdown(learner, sorted(rows, key=lambda r: r.lab or "")), encoding="utf-8")
        written.append(path)
    return written


def csv_rows(results: list[SubmissionResult]) -> list[dict]:
    rows = []
    for r in results:
        base = {"learner": r.learner, "lab": r.lab or "", "status": r.status, "notebook": r.notebook}
        if not r.exercises:
            rows.append({**base, "exercise": "", "title": "", "points": 0, "max_points": 0, "passed": False,
                         "message": r.error})
        for e in r.exercises:
            rows.append({**base, "exercise": e.exercise, "title": e.title, "points": _num(e.points),
                         "max_points": _num(e.max_points), "passed": e.passed, "message": e.message})
    return rows


def _cell(value):
    """A spreadsheet must not read a learner's folder name or message as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_csv(results: list[SubmissionResult], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows({k: _cell(v) for k, v in row.items()} for row in csv_rows(results))


def write_junit(results: list[SubmissionResult], path: Path) -> None:
    root = ET.Element("testsuites", name="labkit grade")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for r in results:
        suite = ET.SubElement(root, "testsuite", name=f"{r.learner}/{r.lab or '?'}", time=f"{r.seconds:.2f}")
        props = ET.SubElement(suite, "properties")
        for key, value in (("points", _num(r.points)), ("max_points", _num(r.max_points)), ("status", r.status),
                           ("notebook", r.notebook)):
            ET.SubElement(props, "property", name=key, value=str(value))
        counts = {"tests": 0, "failures": 0, "errors": 0}
        if r.status == "error":
            case = ET.SubElement(suite, "testcase", classname=f"{r.learner}.{r.lab or 'unknown'}", name="notebook")
            ET.SubElement(case, "error", message=r.error)
            counts["tests"] += 1
            counts["errors"] += 1
        for e in r.exercises:
            case = ET.SubElement(suite, "testcase", classname=f"{r.learner}.{r.lab}",
                                 name=f"Exercise {e.exercise}: {e.title} ({_num(e.points)}/{_num(e.max_points)})")
            counts["tests"] += 1
            if not e.passed:
                ET.SubElement(case, "failure", message=e.message or "failed")
                counts["failures"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _mark(result: SubmissionResult, exercise: str) -> str:
    for e in result.exercises:
        if e.exercise == exercise:
            if e.passed:
                return "[green]✓[/green]"
            return "[yellow]⏱[/yellow]" if "timed out" in e.message else "[red]✗[/red]"
    return ""


def _notes(result: SubmissionResult) -> str:
    """'1.1, 1.3: not attempted yet; 1.2: cell 4 timed out after 60 s' (failed exercises grouped by message)."""
    by_message: dict[str, list[str]] = {}
    for e in result.exercises:
        if not e.passed:
            by_message.setdefault(e.message or "failed", []).append(e.exercise)
    return "; ".join(f"{', '.join(ids)}: {message}" for message, ids in by_message.items())


def render_table(results: list[SubmissionResult], console) -> None:
    """One rich table per lab: learner, score, a mark per exercise (✓ passed, ✗ failed, ⏱ timed out), notes."""
    from rich.markup import escape
    from rich.table import Table

    labs = sorted({r.lab or "?" for r in results})
    for lab in labs:
        rows = [r for r in results if (r.lab or "?") == lab]
        exercises = list(dict.fromkeys(e.exercise for r in rows for e in r.exercises))
        table = Table(title=f"lab {lab}", title_justify="left")
        table.add_column("learner")
        table.add_column("score", justify="right")
        for ex in exercises:
            table.add_column(ex, justify="center")
        table.add_column("notes", overflow="fold")
        for r in rows:
            notes = r.error if r.status == "error" else _notes(r)
            score = f"{_num(r.points)}/{_num(r.max_points)}"
            table.add_row(escape(r.learner), score if r.status == "graded" else f"[red]{score}[/red]",
                          *[_mark(r, ex) for ex in exercises], escape(notes[:300]))
        console.print(table)
    s = summary(results)
    console.print(f"{s['submissions']} submission(s): {s['graded']} graded, {s['errors']} could not be graded")
    for warning in run_warnings(results):
        console.print(f"[bold red]warning:[/bold red] {escape(warning)}")
