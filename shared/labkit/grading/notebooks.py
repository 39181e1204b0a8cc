"""Read notebook files as data (never running them): the cells of a solution, a lab or a submission.

`read_cells` uses plain json (fast: the trusted scorer reads every submission this way); `read_notebook`
uses nbformat (for building labs and executing). A file that is not a notebook raises
NotebookUnreadable naming the file and the problem, so it becomes a clear error row.
"""

from __future__ import annotations

import json
from pathlib import Path

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024   # a submission bigger than this is not read (nor graded)


class NotebookUnreadable(ValueError):
    """The notebook file is not valid JSON / nbformat; the message names the file."""


def read_notebook(path: Path):
    """Read notebook `path` as an nbformat v4 NotebookNode, or raise NotebookUnreadable naming the file
    and the problem."""
    import nbformat  # imported here: it takes 1-2 s (jsonschema), and read_cells does not need it

    read_cells(path)  # the clearer message for a file that is not JSON
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises several types for bad JSON / schema
        raise NotebookUnreadable(f"{path}: not a readable notebook ({exc.__class__.__name__}: {exc})") from exc
    if not isinstance(nb.get("cells"), list):
        raise NotebookUnreadable(f"{path}: not a notebook (no 'cells' list)")
    return nb


def read_cells(path: Path) -> list[dict]:
    """The cells of notebook `path` as plain dicts {cell_type, source (str), metadata}, read with json
    (no nbformat, so a grader process starts fast); raises NotebookUnreadable naming the problem."""
    try:
        if Path(path).stat().st_size > MAX_NOTEBOOK_BYTES:
            raise NotebookUnreadable(f"{path}: larger than {MAX_NOTEBOOK_BYTES // 2**20} MB; clear its outputs "
                                     "(Edit > Clear Outputs of All Cells) and hand it in again")
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except RecursionError as exc:
        raise NotebookUnreadable(f"{path}: not a notebook (nested too deeply)") from exc
    except json.JSONDecodeError as exc:
        raise NotebookUnreadable(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                                 "was the file edited outside Jupyter or cut short?") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookUnreadable(f"{path}: cannot be read ({exc.__class__.__name__}: {exc})") from exc
    if isinstance(data, dict) and isinstance(data.get("nbformat"), int) and data["nbformat"] < 4:
        return [dict(c) for c in read_notebook(path).cells]  # an old format: nbformat converts it
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookUnreadable(f"{path}: not a notebook (no 'cells' list)")
    cells = []
    for cell in data["cells"]:
        cell = cell if isinstance(cell, dict) else {}
        source = cell.get("source", "")
        cells.append({"cell_type": cell.get("cell_type", ""), "metadata": cell.get("metadata") or {},
                      "source": "".join(source) if isinstance(source, list) else str(source)})
    return cells
