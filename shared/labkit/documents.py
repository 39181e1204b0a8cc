"""`Document`: one text and where it came from, and the front matter that may head a markdown file.
Shared by `labkit.data` (which loads the AcmeCorp knowledge base) and `labkit.rag` (which chunks and indexes
documents, and reads any folder of them)."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml


class FrontMatterError(ValueError):
    """A file's front matter (the YAML between its first two '---' lines) cannot be read; names the file."""


def split_front_matter(text: str, where: str = "") -> tuple[dict | None, str]:
    """(the fields of the YAML front matter, the body) of a markdown text; (None, text) when it has none."""
    if not (text.startswith("---\n") and "\n---\n" in text[4:]):
        return None, text
    head, body = text[4:].split("\n---\n", 1)
    try:
        meta = yaml.safe_load(head) or {}
    except yaml.YAMLError as exc:
        raise FrontMatterError(f"{where}: front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise FrontMatterError(f"{where}: front matter must be a mapping of fields (id: ..., title: ...)")
    return meta, body


@dataclass(frozen=True)
class Document:
    id: str          # stable id, e.g. "refunds-policy"; answers cite it as [refunds-policy]
    text: str        # the body (markdown), without front matter
    source: str      # where it came from, e.g. "kb/refunds-policy.md"
    title: str = ""
    metadata: dict = field(default_factory=dict, hash=False, compare=False)  # section, updated, ...
