"""Checks: the half of a grader that runs in the TRUSTED scorer, comparing probe results with expected values.

tests/graders/<lab>/checks.py imports its probes (`from . import probes as p`) and marks one function
per test with `@check(<probe>)`. The function receives what the probe returned, decoded to plain
Python values (labkit.grading.plain): every `attempt(...)` arrives as an `Outcome`.

    from labkit.grading.checking import check
    from . import probes as p

    @check(p.parse_cases, hint="Find the first '{' and the last '}' and parse what lies between.")
    def parses_a_bare_object(got):
        assert got[0].value == {"answer": "Yes.", "escalate": False}, "parse_reply misses a bare JSON object"
        assert got[1].raised(ValueError), "parse_reply should raise ValueError when there is no JSON"

A check passes when it returns; `assert cond, "message"` fails it with that message (checks run without
pytest, so a bare `assert` shows only the check's title, never the values compared). Messages are
public: name the input, never the expected value. `Outcome.value` of a call that raised fails the check
("your code raised KeyError"). An exercise earns its points when all of its checks pass.

The grader is loaded here (`load_grader`): probes.py and checks.py are imported as one package, never
anything from a submission. labkit.grading.grade calls `run_checks` on each submission's results.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import sys
import threading
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labkit.grading.plain import CheckFailed, Outcome, decode
from labkit.grading.probing import ProbeSpec, probes_of

__all__ = ["CheckFailed", "Grader", "GraderError", "Outcome", "check", "close", "json_of", "load_grader",
           "run_checks"]
PROBES, CHECKS, DATA = "probes.py", "checks.py", "data"
MAX_RESULT = 4 * 2**20   # characters of one probe's result (the course's largest is about 0.3 MB)


class GraderError(ValueError):
    """A grader folder is missing or inconsistent; the message names the file and what to fix."""


@dataclass(frozen=True)
class CheckSpec:
    name: str
    probe: str
    exercise: str
    title: str
    hint: str = ""
    line: int = 0


def _title(fn: Callable) -> str:
    doc = (fn.__doc__ or "").strip().splitlines()
    return doc[0].strip() if doc else fn.__name__.removeprefix("test_").replace("_", " ")


def check(probe_fn: Callable, *, hint: str = ""):
    """Mark `fn(got)` as a check of what `probe_fn` (a function marked with @probe) returned."""
    spec = getattr(probe_fn, "__labkit_probe__", None)
    if not isinstance(spec, ProbeSpec):
        raise TypeError(f"check() takes a function marked with @probe, not {probe_fn!r}")

    def mark(fn: Callable) -> Callable:
        fn.__labkit_check__ = CheckSpec(  # type: ignore[attr-defined]  # a marker attribute, read with getattr
            fn.__name__, spec.name, spec.exercise, _title(fn), hint, fn.__code__.co_firstlineno)
        return fn
    return mark


def json_of(text: Any, what: str) -> Any:
    """`text` (a string the learner's code produced) parsed as JSON; CheckFailed naming `what` otherwise."""
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError):
        raise CheckFailed(f"{what} is not valid JSON") from None


def close(got: Any, want: float, rel: float = 1e-9, abs_tol: float = 1e-12) -> bool:
    """True when `got` is a number (not a bool) within tolerance of `want`."""
    return type(got) in (int, float) and math.isclose(got, want, rel_tol=rel, abs_tol=abs_tol)


@dataclass
class Grader:
    """A lab's grader: its probes (run in the sandbox) and checks (run here)."""
    lab: str
    folder: Path
    probes_source: str
    probes: list[ProbeSpec]
    checks: list[tuple[CheckSpec, Callable]]
    data_dir: Path | None = None
    secret: str = field(default="", repr=False)   # the graders' source, kept out of every report

    def checks_of(self, exercise: str) -> list[CheckSpec]:
        return [spec for spec, _ in self.checks if spec.exercise == exercise]


_LOADED: dict[tuple, Grader] = {}
_LOADING = threading.Lock()  # grade_all's threads may ask at once; imports touch sys.modules


def grader_folder(graders_dir: Path, lab: str) -> Path:
    return Path(graders_dir) / lab


def load_grader(graders_dir: Path, lab: str, exercises: list[str]) -> Grader:
    """Import tests/graders/<lab>/{probes,checks}.py and check them against the lab's exercise ids."""
    folder = grader_folder(graders_dir, lab).resolve()
    for name in (PROBES, CHECKS):
        if not (folder / name).is_file():
            raise GraderError(f"no grader for lab {lab}: {folder / name} is missing")
    stamp = tuple((folder / n).stat().st_mtime_ns for n in (PROBES, CHECKS))
    key = (str(folder), stamp, tuple(exercises))
    with _LOADING:
        if key not in _LOADED:
            _LOADED[key] = _load(folder, lab, exercises)
        return _LOADED[key]


def _load(folder: Path, lab: str, exercises: list[str]) -> Grader:
    package_name = "labkit_grader_" + hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    for name in [m for m in sys.modules if m == package_name or m.startswith(package_name + ".")]:
        del sys.modules[name]  # a reload after the files changed
    package = types.ModuleType(package_name)
    package.__path__ = [str(folder)]
    sys.modules[package_name] = package
    try:
        probes_module = importlib.import_module(package_name + ".probes")
        checks_module = importlib.import_module(package_name + ".checks")
    except Exception as exc:
        raise GraderError(f"{folder}: the grader does not import ({exc.__class__.__name__}: {exc})") from exc
    probes = [spec for spec, _ in probes_of(probes_module)]
    checks = sorted(((fn.__labkit_check__, fn) for fn in vars(checks_module).values()
                     if isinstance(getattr(fn, "__labkit_check__", None), CheckSpec)), key=lambda c: c[0].line)
    _validate(folder, probes, [c for c, _ in checks], exercises)
    source = (folder / PROBES).read_text(encoding="utf-8")
    data = folder / DATA
    return Grader(lab, folder, source, probes, checks, data.resolve() if data.is_dir() else None,
                  source + "\n" + (folder / CHECKS).read_text(encoding="utf-8"))


def _validate(folder: Path, probes: list[ProbeSpec], checks: list[CheckSpec], exercises: list[str]) -> None:
    names = [p.name for p in probes]
    if not probes:
        raise GraderError(f"{folder / PROBES}: no probes (mark functions with @probe)")
    if len(set(names)) != len(names):
        raise GraderError(f"{folder / PROBES}: two probes with the same name")
    for p in probes:
        if p.exercise not in exercises:
            raise GraderError(f"{folder / PROBES}: probe {p.name} is for exercise {p.exercise}, which the "
                              f"solution does not declare (exercises: {', '.join(exercises)})")
    checked = {c.probe for c in checks}
    for p in probes:
        if p.name not in checked:
            raise GraderError(f"{folder / CHECKS}: nothing checks probe {p.name} (add a @check({p.name}))")
    for ex in exercises:
        if not any(c.exercise == ex for c in checks):
            raise GraderError(f"{folder / CHECKS}: exercise {ex} has no check")


# ------------------------------------------------------------------------------------------ scoring
@dataclass
class ProbeRun:
    """What the sandbox reported for one probe: status "ok" with the envelope text, or why not."""
    status: str            # "ok" | "timeout" | "died" | "error" | "missing" | "cap"
    text: str = ""
    seconds: float = 0.0


@dataclass
class CheckOutcome:
    check: str
    exercise: str
    passed: bool
    message: str = ""
    hint: str = ""
    not_attempted: bool = False   # the learner's code raised NotImplementedError (the lab's stub)


def _unavailable(run: ProbeRun | None, timeout_note: str) -> str:
    if run is None:
        return "did not run"
    return {"timeout": f"timed out{timeout_note}", "died": "killed the kernel",
            "cap": "did not run: the submission reached its time cap",
            "error": "could not run in the kernel"}.get(run.status, "did not run")


def _assert_message(exc: AssertionError, title: str) -> str:
    """The assert's own message; never the compared values (a bare assert, or one rewritten by pytest
    when a check is defined in a test file, would show them)."""
    first = str(exc).split("\n", 1)[0].strip()
    return first if first and not first.startswith("assert ") else f"{title}: not right yet"


def judge(spec: CheckSpec, fn: Callable, run: ProbeRun | None, forbid: tuple[str, ...],
          timeout_note: str = "") -> CheckOutcome:
    """One check on one probe result; never raises."""
    def failed(message: str, not_attempted: bool = False) -> CheckOutcome:
        return CheckOutcome(spec.name, spec.exercise, False, message, spec.hint, not_attempted)

    if run is None or run.status != "ok":
        return failed(f"{spec.title}: {_unavailable(run, timeout_note)}")
    if len(run.text) > MAX_RESULT:  # checks run on this data: keep it to a size they handle quickly
        return failed(f"{spec.title}: the result is larger than {MAX_RESULT // 2**20} MB")
    try:
        envelope = decode(run.text)
        outcome, forbidden = envelope["outcome"], envelope["forbidden"]
        if not isinstance(outcome, Outcome) or not isinstance(forbidden, list):
            raise ValueError("not an envelope")
    except (ValueError, KeyError, TypeError):
        return failed(f"{spec.title}: the result could not be read")
    used = [name for name in forbid if name in forbidden]
    if used:
        return failed(f"Exercise {spec.exercise} asks you to write this yourself: your code called "
                      f"{', '.join(used)}")
    if not outcome.ok:
        missing = outcome.problem.startswith("the notebook does not define")
        return failed(outcome.problem if missing else f"{spec.title}: {outcome.problem}",
                      outcome.raised("NotImplementedError"))
    try:
        fn(outcome.value)
    except AssertionError as exc:  # CheckFailed too
        return failed(_assert_message(exc, spec.title),
                      isinstance(exc, CheckFailed) and "NotImplementedError" in str(exc))
    except Exception as exc:  # noqa: BLE001 - a result of the wrong shape (or a grader bug: logged)
        where = traceback.extract_tb(exc.__traceback__)[-1]
        print(f"labkit grade: check {spec.name} ended with {exc.__class__.__name__} ({Path(where.filename).name} "
              f"line {where.lineno}): the result has an unexpected form, or the check has a bug", file=sys.stderr)
        return failed(f"{spec.title}: the result does not have the expected form")
    return CheckOutcome(spec.name, spec.exercise, True, "", spec.hint)


def run_checks(grader: Grader, results: dict[str, ProbeRun], timeout_note: str = "") -> list[CheckOutcome]:
    """Every check of the grader on the probe results of one submission."""
    forbid = {p.name: p.forbid for p in grader.probes}
    return [judge(spec, fn, results.get(spec.probe), forbid.get(spec.probe, ()), timeout_note)
            for spec, fn in grader.checks]
