"""Grading reports: a table for the terminal, and JSON, CSV and JUnit XML files.

All reports have one entry per learner and lab (a "submission") and, inside it, one per exercise:
points, max points, pass/fail and a one-line message. A submission that could not be graded (not a
notebook, unknown lab, no grader tests) has status "error", its message, and every exercise at 0.
- JSON: {"summary": {...}, "submissions": [{learner, lab, notebook, status, error, points, max_points,
  cells: {timeout, died, error}, seconds, exercises: [{exercise, title, points, max_points, passed,
  message, tests}]}]}
- CSV: one row per learner x exercise (an error row without a known lab has an empty exercise);
- JUnit: one <testsuite> per submission, one <testcase> per exercise (CI systems display these).
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


def summary(results: list[SubmissionResult]) -> dict:
    return {"submissions": len(results), "graded": sum(r.status == "graded" for r in results),
            "errors": sum(r.status == "error" for r in results),
            "points": _num(sum(r.points for r in results)), "max_points": _num(sum(r.max_points for r in results))}


def write_json(results: list[SubmissionResult], path: Path) -> None:
    data = {"summary": summary(results), "submissions": [r.to_dict() for r in results]}
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


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


def write_csv(results: list[SubmissionResult], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(csv_rows(results))


def write_junit(results: list[SubmissionResult], path: Path) -> None:
    root = ET.Element("testsuites", name="labkit grade")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for r in results:
        suite = ET.SubElement(root, "testsuite", name=f"{r.learner}/{r.lab or '?'}", time=f"{r.seconds:.2f}")
        props = ET.SubElement(suite, "properties")
        for key, value in (("points", r.points), ("max_points", r.max_points), ("status", r.status),
                           ("notebook", r.notebook)):
            ET.SubElement(props, "property", name=key, value=str(_num(value) if key.endswith("points") else value))
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
