"""The course's support-reply format (data/cards/tickets.md), the rule a fine-tuning file's replies and a
model's answers are both checked against: `validate(..., format=support_format)` in lesson 03, and the
format adapter's held-out adherence (labkit.finetune.heldout) and lesson 04's format rows."""

from __future__ import annotations

import re

DIAGNOSIS = re.compile(r"1\. Diagnosis: \S.*")
STEP = re.compile(r" {3}(\d+)\) \S.*")
PREVENTION = re.compile(r"3\. Prevention: \S.*")
SOURCE = re.compile(r"Source: \[[\w.-]+\] \S.*")
# Room to write a whole reply in that format: the clean tickets' replies are at most 148 tokens of the course
# model (tests/test_finetune.py), so a smaller cap cuts off the Prevention and Source lines.
REPLY_MAX_TOKENS = 200


def support_format(reply: str) -> str | None:
    """The course's support-reply format (see data/cards/tickets.md): None if `reply` follows it,
    else what is wrong. Pass it as `validate(..., format=support_format)`.

        1. Diagnosis: <one sentence>
        2. Solution:
           1) <step>
           2) <step>
        3. Prevention: <one sentence>
        Source: [<doc-id>] <Heading>
    """
    lines = reply.strip().split("\n")
    if not DIAGNOSIS.fullmatch(lines[0]):
        return "does not start with '1. Diagnosis: ...'"
    if len(lines) < 2 or lines[1] != "2. Solution:":
        return "the second line is not '2. Solution:'"
    if len(lines) < 5 or not SOURCE.fullmatch(lines[-1]):
        return "does not end with 'Source: [doc-id] Heading'"
    if not PREVENTION.fullmatch(lines[-2]):
        return "no '3. Prevention: ...' line before the source"
    steps = [STEP.fullmatch(line) for line in lines[2:-2]]
    matched = [s for s in steps if s is not None]
    if len(matched) < len(steps) or [int(s.group(1)) for s in matched] != list(range(1, len(steps) + 1)):
        return "the solution is not a list of steps '   1) ...', '   2) ...'"
    return None
