"""`Document`: one text and where it came from. Shared by `labkit.data` (which loads the AcmeCorp
knowledge base) and `labkit.rag` (which chunks and indexes documents)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    id: str          # stable id, e.g. "refunds-policy"; answers cite it as [refunds-policy]
    text: str        # the body (markdown), without front matter
    source: str      # where it came from, e.g. "kb/refunds-policy.md"
    title: str = ""
    metadata: dict = field(default_factory=dict, hash=False, compare=False)  # section, updated, ...
