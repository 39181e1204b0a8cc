"""Plain data across the sandbox wall: what a probe returns, as JSON text, and back as Python values.

A probe runs the learner's code inside the sandbox and returns what it got; the trusted scorer compares
that with the expected values. Nothing but plain data crosses: `encode` (in the sandbox) accepts exactly
None, bool, int, float, str, list, tuple, dict, set and frozenset (and numpy's own scalar types, as their
Python value), nested; anything else, subclasses of those included, raises `NotPlain` naming the type.
So an object whose `__eq__` is always true never reaches a comparison: the probe's `attempt` records
it as "returned a Foo, not plain data" and the check fails. `decode` (trusted) builds only those types
back, plus `Outcome` for each `attempt`, and never runs code from the text.

JSON has no tuples, sets or non-string keys, so they travel tagged: {"$tuple": [...]}, {"$set": [...]},
{"$dict": [[key, value], ...]} (also used for any dict with a key starting with "$", so a learner's
dict cannot pose as a tag). Used by labkit.grading.probing (sandbox) and labkit.grading.checking.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 60          # nesting levels a value may have
MAX_ITEMS = 1_000_000   # scalars and containers in one encoded value
TAGS = ("$tuple", "$set", "$dict", "$attempt")
_NAME = re.compile(r"[^A-Za-z0-9_.]")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,59}$")


class NotPlain(TypeError):
    """A value that is not plain data; the message names its type and where it sits."""


class CheckFailed(AssertionError):
    """A check did not pass; the message is public (it names inputs, never expected values)."""


def type_name(obj: Any) -> str:
    """'module.Qualname' of obj's type, reduced to identifier characters (it is shown in reports)."""
    cls = type(obj)
    module, name = getattr(cls, "__module__", ""), getattr(cls, "__qualname__", "")
    text = f"{module}.{name}" if isinstance(module, str) and module not in ("builtins", "") else str(name)
    return _NAME.sub("", text)[:80] or "object"


def _numpy_scalars() -> tuple[type, ...]:
    np = sys.modules.get("numpy")  # never imported here: only a value made by numpy can need it
    if np is None:
        return ()
    names = ("float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint64", "uint32",
             "uint16", "uint8", "bool_", "str_")
    return tuple(getattr(np, n) for n in names if hasattr(np, n))


@dataclass
class Attempt:
    """One call made by a probe (sandbox side): what it returned, or what it raised."""
    value: Any = None
    raised: list[str] | None = None   # the exception's class and its bases, 'ValueError', 'labkit.x.Error'
    message: str = ""


class _Encoder:
    def __init__(self) -> None:
        self.items = 0
        self.numpy = _numpy_scalars()

    def plain(self, x: Any, depth: int, where: str) -> Any:
        self.items += 1
        if self.items > MAX_ITEMS or depth > MAX_DEPTH:
            raise NotPlain(f"{where}: too large or too deeply nested to grade")
        t = type(x)
        if x is None or t in (bool, int, float, str):
            return x
        if t in self.numpy:
            return x.item()
        if t is list:
            return [self.plain(v, depth + 1, f"{where}[{i}]") for i, v in enumerate(x)]
        if t is tuple:
            return {"$tuple": [self.plain(v, depth + 1, f"{where}[{i}]") for i, v in enumerate(x)]}
        if t in (set, frozenset):
            return {"$set": [self.plain(v, depth + 1, f"{where} item") for v in x]}
        if t is dict:
            if all(type(k) is str and not k.startswith("$") for k in x):
                return {k: self.plain(v, depth + 1, f"{where}[{k!r}]") for k, v in x.items()}
            return {"$dict": [[self.plain(k, depth + 1, f"{where} key"), self.plain(v, depth + 1, f"{where} value")]
                              for k, v in x.items()]}
        if t is Attempt:
            return {"$attempt": self.attempt(x, depth, where)}
        base = next((b.__name__ for b in (bool, int, float, str, list, tuple, dict, set) if isinstance(x, b)), "")
        extra = f" (a subclass of {base}: return a plain {base})" if base else ""
        raise NotPlain(f"{where} is a {type_name(x)}{extra}, not plain data")

    def attempt(self, a: Attempt, depth: int, where: str) -> dict:
        if a.raised is not None:
            return {"raised": [str(n)[:200] for n in a.raised][:20], "message": str(a.message)[:2000]}
        try:
            return {"value": self.plain(a.value, depth + 1, "the result")}
        except NotPlain as exc:
            return {"bad": str(exc)[:300]}


def encode(value: Any) -> str:
    """JSON text for a plain value (raises NotPlain otherwise); NaN and infinities are kept."""
    return json.dumps(_Encoder().plain(value, 0, "the result"), ensure_ascii=False)


# ---------------------------------------------------------------------------------------- trusted side
@dataclass
class Outcome:
    """What one `attempt(...)` in a probe got, for checks: `value`, or why there is none."""
    ok: bool
    result: Any = None
    raised_types: list[str] = field(default_factory=list)
    message: str = ""      # the learner's exception message: for matching only, never shown in reports
    bad: str = ""          # why the value is not plain data

    @property
    def value(self) -> Any:
        """The returned value; raises CheckFailed (a public message) when the call raised or was not plain."""
        if self.ok:
            return self.result
        raise CheckFailed(self.problem)

    @property
    def problem(self) -> str:
        """Why there is no value, in public words (the learner's own exception message is never shown)."""
        if self.bad:
            return f"your code returned a value that is not plain data ({_public_type(self.bad)})"
        if self.raised_types and self.raised_types[0].endswith("MissingName"):  # labkit.grading.probing's
            name = repr(self.message) if _IDENT.match(self.message) else "a name the grader needs"
            return (f"the notebook does not define {name} (was its cell deleted or renamed, did the cell "
                    "raise an error, or did it time out?)")
        if self.raised_types:
            return f"your code raised {self.raised_types[0]}"
        return ""

    def raised(self, *kinds: type[BaseException] | str) -> bool:
        """True when the call raised one of `kinds` (a class or a name; subclasses count)."""
        if self.ok or not self.raised_types:
            return False
        names = set(self.raised_types)
        for kind in kinds:
            name = kind if isinstance(kind, str) else _qualified(kind)
            if name in names or name.rsplit(".", 1)[-1] in names:
                return True
        return False


def _public_type(text: str) -> str:
    """From 'the result[0] is a Foo (...), not plain data' keep the type: only identifier characters."""
    found = re.search(r" is an? ([A-Za-z0-9_.]+)", text)
    return f"a {found.group(1)[:80]}" if found else "an object"


def _qualified(cls: type) -> str:
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        raise ValueError("a dict key or set item cannot be a list")
    return value


def _object(pairs: list[tuple[str, Any]]) -> Any:
    d = dict(pairs)
    if len(d) == 1:
        (key, value), = d.items()
        if key == "$tuple" and isinstance(value, list):
            return tuple(value)
        if key == "$set" and isinstance(value, list):
            return frozenset(_hashable(v) for v in value)
        if key == "$dict" and isinstance(value, list):
            if not all(isinstance(p, list) and len(p) == 2 for p in value):
                raise ValueError("a malformed $dict in the probe's result")
            return {_hashable(k): v for k, v in value}
        if key == "$attempt" and isinstance(value, dict):
            return _outcome(value)
    if any(k.startswith("$") for k in d):
        raise ValueError("an unknown tag in the probe's result")
    return d


def _outcome(data: dict) -> Outcome:
    if "value" in data:
        return Outcome(True, data["value"])
    if "bad" in data:
        return Outcome(False, bad=str(data["bad"])[:300])
    raised = data.get("raised")
    types = [_NAME.sub("", str(t))[:80] for t in raised][:20] if isinstance(raised, list) else []
    return Outcome(False, raised_types=types or ["an exception"], message=str(data.get("message", ""))[:2000])


def decode(text: str) -> Any:
    """The value `encode` wrote (tuples, frozensets, dicts with any plain keys, Outcome objects).

    Raises ValueError for text that is not such a value (malformed, forged tags, too deep)."""
    try:
        return json.loads(text, object_pairs_hook=_object)
    except (RecursionError, TypeError) as exc:
        raise ValueError(f"unreadable result ({exc.__class__.__name__})") from exc
