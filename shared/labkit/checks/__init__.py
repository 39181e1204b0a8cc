"""Public checks that learners call inside lab notebooks, for immediate feedback.

A check never raises: an untouched lab (every exercise still a stub) must execute to the end. Each
check prints one banner line and returns True (passed) or False (failed or not attempted).
The graders under tests/graders/ are separate and may be stricter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def run_check(exercise: str, fn: Callable[[], None]) -> bool:
    """Run `fn` (which asserts, with a hint as the assertion message) and print the banner."""
    try:
        fn()
    except NotImplementedError:
        print(f"⏳ Exercise {exercise} not attempted yet")
        return False
    except AssertionError as exc:
        print(f"❌ Exercise {exercise}: {str(exc) or 'not right yet'}")
        return False
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - any learner error is feedback, never a crash
        print(f"❌ Exercise {exercise}: your code raised {exc.__class__.__name__}: {exc}")
        return False
    print(f"✅ Exercise {exercise} passed")
    return True


def attempted(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`fn(*args, **kwargs)`, or None while `fn` is still the lab's NotImplementedError stub."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        return None
