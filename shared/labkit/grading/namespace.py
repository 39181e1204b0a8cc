"""Load a notebook's definitions into a namespace, for grader tests.

The grader tests see a learner's work as an object whose attributes are the names the notebook defined
(`submission.rrf`, `submission.build_system_prompt`, ...). This module builds that object by running the
notebook's code cells in a fresh namespace, in order, the way Jupyter would.

Learner code runs in the grader's process here, so two things are guarded:
- a cell that raises (or calls `sys.exit()`) is skipped: its names are simply missing;
- a cell that replaces functions of already imported modules (say `labkit.checks.run_check = lambda *a:
  True`, `json.loads = ...` or a builtin) does not change what the grader tests see: every module the
  grader process had imported before the cells ran (labkit, pytest, the grader tests' own imports, the
  builtins) gets its functions and classes back afterwards. This stops naive tampering; it is not a
  sandbox.
"""

from __future__ import annotations

import builtins
import json
import os
import signal
import sys
import types
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


class NotebookUnreadable(ValueError):
    """The notebook file is not valid JSON / nbformat; the message names the file."""


class CellTimeout(BaseException):
    """A cell ran longer than the per-cell limit while loading (a BaseException so `except Exception`
    in learner code does not swallow it)."""


class Submission(types.SimpleNamespace):
    """The names a notebook defined. A missing name says which, and the likely reasons."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(f"the notebook does not define {name!r} (was its cell deleted or renamed, "
                             "did the cell raise an error, or did it time out?)")


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
        data = json.loads(Path(path).read_text(encoding="utf-8"))
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


@contextmanager
def protected_modules() -> Iterator[None]:
    """Undo, on exit, replacements of functions, classes and submodules in every module imported before.

    That includes labkit, pytest, the builtins and everything the grader test files import (they are
    imported before the fixture loads the notebook). Entries of sys.modules that were replaced are put
    back. Names the block added are left alone (a newly imported submodule must stay reachable from its
    package), and so is data (a cache the notebook filled keeps its value).
    """
    modules = {name: mod for name, mod in list(sys.modules.items()) if isinstance(mod, types.ModuleType)}
    modules["builtins"] = builtins
    saved = {}
    for name, mod in modules.items():
        try:  # only code is put back (below), so only code is saved
            # type(v), not isinstance: some objects run code (and warn) when asked for their __class__
            saved[name] = {k: v for k, v in vars(mod).items() if callable(v) or issubclass(type(v), types.ModuleType)}
        except TypeError:  # an odd module object without a __dict__
            continue
    try:
        yield
    finally:
        for name, code in saved.items():
            mod = modules[name]
            if sys.modules.get(name) is not mod and name != "builtins":
                sys.modules[name] = mod
            current = vars(mod)
            for key, value in code.items():
                if current.get(key) is not value:
                    current[key] = value


@contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise CellTimeout in the block after `seconds` (main thread, and no other timer running)."""
    usable = (seconds and hasattr(signal, "setitimer") and signal.getitimer(signal.ITIMER_REAL)[0] == 0
              and _in_main_thread())
    if not usable:
        yield
        return

    def on_alarm(signum, frame):  # noqa: ARG001 - signal handler signature
        raise CellTimeout(f"cell ran longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def code_lines(source: str) -> str:
    """The cell's source without IPython magics and shell lines (`%...`, `!...`), which plain exec rejects."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))


def load_namespace(path: Path, skip_cells: Iterable[int] = frozenset(),
                   cell_timeout: float | None = None) -> Submission:
    """Execute the code cells of notebook `path` in a fresh namespace and return it.

    Cells that raise are skipped (their definitions are simply missing), so one broken exercise does not
    hide the others. Cells listed in `skip_cells` (indices) and cells tagged `skip-grading` (slow demos)
    are not run. IPython magics and shell lines are skipped. The working directory is the notebook's
    folder while the cells run, as in Jupyter. With `cell_timeout`, a cell running longer is stopped
    and skipped like a cell that raised.
    """
    cells = read_cells(path)
    skip = set(skip_cells)
    namespace: dict = {"__name__": "__submission__"}
    cwd = os.getcwd()
    os.chdir(Path(path).resolve().parent)
    try:
        with protected_modules():
            for index, cell in enumerate(cells):
                if cell["cell_type"] != "code" or index in skip:
                    continue
                if "skip-grading" in (cell["metadata"].get("tags") or []):  # slow demos graders do not need
                    continue
                try:
                    # dont_inherit: this module's `from __future__ import annotations` must not leak into
                    # learner code (string annotations break @dataclass in a namespace that is no module)
                    code = compile(code_lines(cell["source"]), f"{path}:cell{index}", "exec", dont_inherit=True)
                    with _time_limit(cell_timeout):
                        exec(code, namespace)
                except (Exception, SystemExit, CellTimeout):  # noqa: BLE001 - a learner cell may raise anything
                    continue
    finally:
        os.chdir(cwd)
    ns = Submission(**{k: v for k, v in namespace.items() if not k.startswith("__")})
    ns.path = Path(path)
    return ns
