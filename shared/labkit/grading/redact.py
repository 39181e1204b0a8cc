"""Text that may go into a report: capped, one line, no environment values, no quotes of the graders.

Reports are handed to learners, so every message in them passes through `public`: at most `limit`
characters on one line; any value of this process's environment (a token, a key) replaced by
[redacted]; and a message that quotes the graders' source (probes.py, checks.py) at length withheld.
Used by labkit.grading.grade for every message built from what a sandbox sent back.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

LIMIT = 300
QUOTE = 40          # characters of grader source in a row that make a message a quote
MIN_SECRET = 8      # shorter environment values are too common to redact (HOME=/root, SHELL=/bin/sh)
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=8)
def _windows(secret: str) -> frozenset[str]:
    text = _SPACE.sub(" ", secret)
    return frozenset(text[i:i + QUOTE] for i in range(0, max(0, len(text) - QUOTE + 1)))


def _env_values() -> list[str]:
    values = {v for v in os.environ.values() if len(v) >= MIN_SECRET}
    return sorted(values, key=len, reverse=True)


def quotes(text: str, secret: str) -> bool:
    """True when `text` holds QUOTE or more characters in a row of `secret` (whitespace folded)."""
    if not secret:
        return False
    windows = _windows(secret)
    flat = _SPACE.sub(" ", text)
    return any(flat[i:i + QUOTE] in windows for i in range(0, max(0, len(flat) - QUOTE + 1)))


def public(text: str, limit: int = LIMIT, secret: str = "") -> str:
    """`text` fit for a report (see the module docstring)."""
    text = str(text)[: limit * 8]  # what a sandbox sent can be long; nothing past this is shown anyway
    text = _SPACE.sub(" ", "".join(ch if ch.isprintable() else " " for ch in text)).strip()
    for value in _env_values():
        if value in text:
            text = text.replace(value, "[redacted]")
    if quotes(text, secret):
        return "(message withheld: it quotes the grader)"
    return text if len(text) <= limit else text[: limit - 1] + "…"
