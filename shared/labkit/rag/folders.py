"""Reading a folder of markdown or text files as Documents, for `labkit index DIR` (any corpus, not only
AcmeCorp's). Lesson 02 uses it for the second corpus.
"""

from __future__ import annotations

import os
from pathlib import Path

from labkit.documents import Document, split_front_matter

TEXT_SUFFIXES = (".md", ".markdown", ".txt")


def read_document(path: Path, root: Path | None = None) -> Document:
    """A markdown or text file as a Document. Front matter (between '---' lines) may give `id` and
    `title` (other fields go to metadata); otherwise the id is the file stem and the title the first
    '# ' heading, or the stem."""
    meta, text = split_front_matter(path.read_text(encoding="utf-8"), str(path))
    meta = meta or {}
    heading = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), "")
    title = str(meta.get("title") or heading or path.stem)
    source = str(path.relative_to(root)) if root else path.name
    extra = {k: str(v) for k, v in meta.items() if k not in ("id", "title")}
    return Document(id=str(meta.get("id") or path.stem), text=text.strip() + "\n", source=source, title=title,
                    metadata=extra)


def load_folder(folder: str | os.PathLike) -> list[Document]:
    """Every .md/.markdown/.txt file under `folder` (recursively), sorted by path."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder of documents")
    docs = [read_document(p, root) for p in sorted(root.rglob("*")) if p.suffix.lower() in TEXT_SUFFIXES]
    ids: dict[str, str] = {}
    for d in docs:
        if d.id in ids:
            raise ValueError(f"{d.source}: document id {d.id!r} is already used by {ids[d.id]}")
        ids[d.id] = d.source
    return docs
