"""Exercises of a lab, read from the SOLUTION notebook's cell metadata, and where the course folders are.

An exercise cell carries `{"labkit": {"exercise": "2.3", "title": "Reciprocal rank fusion", "points": 2}}`.
Grading reads ids, titles and points from `solutions/<lab>.ipynb` only: a learner's copy of the
metadata is not trusted (it could claim 100 points).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from labkit.grading.notebooks import read_cells

if TYPE_CHECKING:
    import nbformat

EXERCISE_ID = re.compile(r"^\d+[a-z]?\.\d+[a-z]?$")  # 2.3, 3b.1


class ExerciseMetadataError(ValueError):
    """A cell's `labkit` metadata is malformed; the message names the notebook and the cell."""


@dataclass(frozen=True)
class Exercise:
    id: str        # "2.3"
    title: str     # "Reciprocal rank fusion"
    points: float  # what the exercise is worth
    cell: int      # index of its cell in the solution notebook


def exercise_of(cell: dict | nbformat.NotebookNode, where: str) -> Exercise | None:
    """The Exercise a cell declares (None for an ordinary cell); `where` names the cell in errors."""
    meta = cell.get("metadata", {}).get("labkit")
    if not meta or "exercise" not in meta:
        return None
    ex_id, title, points = str(meta.get("exercise", "")), str(meta.get("title", "")).strip(), meta.get("points")
    if not EXERCISE_ID.match(ex_id):
        raise ExerciseMetadataError(f"{where}: exercise id {ex_id!r} is not '<module>.<n>' (like '2.3' or '3b.1')")
    if not title:
        raise ExerciseMetadataError(f"{where}: exercise {ex_id} has no 'title' in its labkit metadata")
    if isinstance(points, bool) or not isinstance(points, int | float) or points < 0:
        raise ExerciseMetadataError(f"{where}: exercise {ex_id} needs 'points' (a number >= 0), got {points!r}")
    return Exercise(ex_id, title, float(points), -1)


def read_exercises(solution: Path | nbformat.NotebookNode, name: str = "") -> list[Exercise]:
    """The exercises of a solution notebook (a path or a notebook node), in notebook order."""
    if isinstance(solution, str | Path):
        cells, name = read_cells(Path(solution)), name or str(solution)
    else:
        cells, name = solution.cells, name or "notebook"
    found: dict[str, Exercise] = {}
    for index, cell in enumerate(cells):
        ex = exercise_of(cell, f"{name} cell {index}")
        if ex is None:
            continue
        if ex.id in found:
            raise ExerciseMetadataError(f"{name} cell {index}: exercise {ex.id} is already declared by "
                                        f"cell {found[ex.id].cell}")
        found[ex.id] = Exercise(ex.id, ex.title, ex.points, index)
    return list(found.values())


def project_root(start: Path | None = None) -> Path:
    """The course checkout: the first of `start` (default: cwd) and its parents holding `solutions/`
    and `tests/graders/`, else the checkout this labkit was installed from, else `start`."""
    start = Path.cwd() if start is None else Path(start)
    candidates = [start, *start.resolve().parents, Path(__file__).resolve().parents[3]]
    for folder in candidates:
        if (folder / "solutions").is_dir() and (folder / "tests" / "graders").is_dir():
            return folder
    return start


def lab_names(solutions_dir: Path) -> list[str]:
    """The labs there are: the stems of solutions_dir/*.ipynb, sorted."""
    return sorted(p.stem for p in Path(solutions_dir).glob("*.ipynb"))
