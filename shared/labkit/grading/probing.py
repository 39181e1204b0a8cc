"""Probes: the half of a grader that runs INSIDE the sandbox, calling the learner's definitions.

A lab's grader is a folder tests/graders/<lab>/ with two files (docs/instructor_guide.md, "Graders"):
- probes.py runs in the sandbox, after the learner's notebook, in the learner's kernel. Each probe
  calls the learner's functions on fixed inputs and returns plain data (labkit.grading.plain);
- checks.py runs in the trusted scorer, which never runs learner code: it compares what each probe
  returned with the expected values (labkit.grading.checking).

probes.py holds inputs, never expected values: anything in it can be read by learner code.

    from labkit.grading.probing import attempt, probe

    PARSE_CASES = ['{"answer": "Yes.", "escalate": false}', "no JSON here"]

    @probe("1.3", forbid=["labkit.prompts.parse_json_reply"])
    def parse_cases(nb):
        return [attempt(nb.parse_reply, text) for text in PARSE_CASES]

`nb.<name>` is what the notebook defined (a missing name fails the probe, saying which name). A call
that raises inside `attempt` is recorded (its exception class) instead of ending the probe. `forbid`
names labkit's reference implementations of what the exercise asks the learner to write: while the
exercise's probes run, calling one raises `ReferenceUsed` and the exercise scores 0, however the call
was reached (an alias, a wrapper, a reference saved earlier). A learner who copies the reference's
source is not caught by this; that is plagiarism, not a call.

The rest of this module is the runtime the sandbox driver starts in the kernel (`emit`).
"""

from __future__ import annotations

import hashlib
import importlib
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labkit.grading.plain import Attempt, encode

MIME = "application/vnd.labkit.probe.v1"   # how a probe's result leaves the kernel (JSON text)


@dataclass(frozen=True)
class ProbeSpec:
    name: str
    exercise: str
    forbid: tuple[str, ...] = ()
    timeout: float | None = None    # seconds (default: labkit grade --timeout)
    line: int = 0                   # where it is defined: probes run in this order


def probe(exercise: str, *, forbid: list[str] | tuple[str, ...] = (), timeout: float | None = None):
    """Mark `fn(nb) -> plain data` as a probe of `exercise` (an id of the lab's solution notebook)."""
    def mark(fn: Callable) -> Callable:
        fn.__labkit_probe__ = ProbeSpec(  # type: ignore[attr-defined]  # a marker attribute, read with getattr
            fn.__name__, str(exercise), tuple(forbid), timeout, fn.__code__.co_firstlineno)
        return fn
    return mark


def probes_of(module: types.ModuleType) -> list[tuple[ProbeSpec, Callable]]:
    """The probes a probes.py module defines, in file order."""
    found = [(fn.__labkit_probe__, fn) for fn in vars(module).values()
             if callable(fn) and isinstance(getattr(fn, "__labkit_probe__", None), ProbeSpec)]
    return sorted(found, key=lambda pair: pair[0].line)


class ReferenceUsed(BaseException):
    """The learner's code called a reference implementation the exercise forbids (a BaseException, so
    `except Exception` in learner code does not hide it; it is also recorded)."""


class MissingName(AttributeError):
    """The notebook does not define a name a probe asked for; the message is that name."""


def attempt(fn: Callable, *args: Any, **kwargs: Any) -> Attempt:
    """Call fn(*args, **kwargs); return what it returned, or the exception it raised, as data."""
    try:
        return Attempt(value=fn(*args, **kwargs))
    except KeyboardInterrupt:  # the driver's timeout: the whole probe stops
        raise
    except BaseException as exc:  # noqa: BLE001 - a learner's function may raise anything, SystemExit too
        return Attempt(raised=_exception_types(exc), message=_message(exc))


def _exception_types(exc: BaseException) -> list[str]:
    names = []
    for cls in type(exc).__mro__:
        if cls in (BaseException, object):
            break
        module, name = getattr(cls, "__module__", ""), getattr(cls, "__qualname__", "?")
        names.append(str(name) if module == "builtins" else f"{module}.{name}")
    return names


def _message(exc: BaseException) -> str:
    try:
        return str(exc)[:2000]
    except Exception:  # noqa: BLE001 - a learner's __str__
        return ""


class Notebook:
    """The learner's definitions as attributes (`nb.rrf`); a missing one raises MissingName."""

    def __init__(self, namespace: dict, folder: str) -> None:
        object.__setattr__(self, "_namespace", namespace)
        object.__setattr__(self, "folder", Path(folder))   # the notebook's folder (files it wrote)

    def __getattr__(self, name: str) -> Any:
        namespace = object.__getattribute__(self, "_namespace")
        if not name.startswith("__") and name in namespace:
            return namespace[name]
        raise MissingName(name)


# --------------------------------------------------------------------------------- reference tripwires
_CALLED: list[str] = []


def _tripped(name: str) -> None:
    _CALLED.append(name)
    raise ReferenceUsed(f"{name} is the reference implementation of this exercise")


def resolve(name: str) -> Any:
    """The object a dotted name ('labkit.decision.recommend', 'labkit.strategies.Hybrid.answer') names,
    or None when it does not exist."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
        return obj
    return None


def _trip_code(code: types.CodeType, name: str) -> types.CodeType:
    """A code object that records `name` and raises, with as many free variables as `code` (so it can
    replace that function's code in place: every reference to the function then trips)."""
    free = [f"_v{i}" for i in range(len(code.co_freevars))]
    lines = ["def _outer():", *[f"    {v} = None" for v in free], "    def _tripwire(*args, **kwargs):",
             f"        __import__('labkit.grading.probing', fromlist=['_'])._tripped({name!r})"]
    if free:
        lines.append(f"        {', '.join(free)}")  # unreachable, but makes them free variables
    lines.append("    return _tripwire")
    namespace: dict = {}
    exec("\n".join(lines), namespace)  # noqa: S102 - our own fixed text
    return namespace["_outer"]().__code__


@contextmanager
def tripwires(names: tuple[str, ...]) -> Iterator[None]:
    """While the block runs, calling any of the named Python functions records it and raises."""
    swapped = []
    for name in names:
        fn = resolve(name)
        fn = getattr(fn, "__func__", fn)
        if isinstance(fn, types.FunctionType):
            swapped.append((fn, fn.__code__))
            fn.__code__ = _trip_code(fn.__code__, name)
    try:
        yield
    finally:
        for fn, code in swapped:
            fn.__code__ = code


# --------------------------------------------------------------------------------- kernel runtime
_MODULES: dict[str, types.ModuleType] = {}


def load_probes(source: str, file: str) -> types.ModuleType:
    """The probes module from its source (once per kernel); `file` is its __file__ in the sandbox."""
    key = hashlib.sha256(f"{file}\n{source}".encode()).hexdigest()
    if key not in _MODULES:
        module = types.ModuleType("labkit_probes")
        module.__file__ = file
        exec(compile(source, file, "exec", dont_inherit=True), module.__dict__)  # noqa: S102 - the grader's probes
        _MODULES[key] = module
    return _MODULES[key]


def run(namespace: dict, source: str, name: str, file: str, folder: str) -> str:
    """Run probe `name` on the notebook's namespace; its envelope as JSON text (labkit.grading.plain)."""
    fn = getattr(load_probes(source, file), name)
    spec: ProbeSpec = fn.__labkit_probe__
    _CALLED.clear()
    with tripwires(spec.forbid):
        outcome = attempt(fn, Notebook(namespace, folder))
    return encode({"outcome": outcome, "forbidden": sorted(set(_CALLED))})


def emit(namespace: dict, source: str, name: str, file: str, folder: str) -> None:
    """Run probe `name` and display its envelope under MIME (the driver reads it from the cell's output)."""
    from IPython.display import display

    display({MIME: run(namespace, source, name, file, folder)}, raw=True)
