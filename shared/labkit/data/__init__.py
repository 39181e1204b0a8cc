"""The AcmeCorp course data and its loaders.

Files live next to this module (see `cards/` for a data card per file):
- kb/*.md            the knowledge base: markdown with front matter (id, title, section, updated)
- kb_updates/*.md    newer versions of some documents (the changelog's 2026-12-01 release), for freshness
- eval/{dev,test}.jsonl   questions with gold answers, key facts, gold sources, category, difficulty
- tickets/tickets.jsonl   clean support tickets in chat JSONL ({"messages": [...]})
- tickets/tickets_raw.jsonl  the same kind of data with documented defects, for the cleaning exercise
- sql/pairs.jsonl    NL->SQL pairs over the DuckDB database built by `labkit.data.acme_db`
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, overload

from labkit.documents import Document, FrontMatterError, split_front_matter

DATA_DIR = Path(__file__).resolve().parent
KB_DIR = DATA_DIR / "kb"
KB_UPDATES_DIR = DATA_DIR / "kb_updates"
EVAL_DIR = DATA_DIR / "eval"
TICKETS_DIR = DATA_DIR / "tickets"
SQL_DIR = DATA_DIR / "sql"
SPLITS = ("dev", "test")


class DataFileError(ValueError):
    """A course data file is malformed; the message names the file and line."""


def read_markdown(path: Path) -> Document:
    """One knowledge-base file: YAML front matter between '---' lines, then the markdown body."""
    try:
        meta, body = split_front_matter(path.read_text(encoding="utf-8"), str(path))
    except FrontMatterError as exc:
        raise DataFileError(str(exc)) from exc
    if meta is None:
        raise DataFileError(f"{path}: line 1: expected front matter starting with '---'")
    for key in ("id", "title", "section", "updated"):
        if key not in meta:
            raise DataFileError(f"{path}: front matter has no '{key}' field")
    updated = meta["updated"]
    metadata = {"section": meta["section"],
                "updated": updated.isoformat() if isinstance(updated, dt.date) else str(updated)}
    source = f"{path.parent.name}/{path.name}"
    return Document(id=str(meta["id"]), text=body.strip() + "\n", source=source, title=str(meta["title"]),
                    metadata=metadata)


def load_docs(version: str = "current") -> list[Document]:
    """The knowledge base, sorted by id. version="updated" swaps in the newer versions from kb_updates/."""
    if version not in ("current", "updated"):
        raise ValueError(f"version must be 'current' or 'updated', not {version!r}")
    docs = {d.id: d for d in map(read_markdown, sorted(KB_DIR.glob("*.md")))}
    if version == "updated":
        docs.update({d.id: d for d in map(read_markdown, sorted(KB_UPDATES_DIR.glob("*.md")))})
    return [docs[k] for k in sorted(docs)]


def read_jsonl(path: Path) -> list[dict]:
    """Every line of a JSONL file as a dict; a bad line raises DataFileError naming file and line."""
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFileError(f"{path}: line {number}: invalid JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise DataFileError(f"{path}: line {number}: expected a JSON object")
            rows.append(row)
    return rows


@dataclass(frozen=True)
class EvalItem:
    """One evaluation question (see cards/eval.md)."""

    id: str
    question: str
    answer: str
    key_facts: list[str]
    sources: list[str]
    category: str
    difficulty: str
    answerable: bool
    split: str
    updated_answer: str | None = None
    updated_key_facts: list[str] = field(default_factory=list)


def load_eval(split: str = "dev") -> list[EvalItem]:
    """Questions of one split ("dev", "test") or of both ("all")."""
    splits = SPLITS if split == "all" else (split,)
    if any(s not in SPLITS for s in splits):
        raise ValueError(f"split must be 'dev', 'test' or 'all', not {split!r}")
    items = []
    for s in splits:
        path = EVAL_DIR / f"{s}.jsonl"
        for row in read_jsonl(path):
            try:
                items.append(EvalItem(
                    id=row["id"], question=row["question"], answer=row["answer"],
                    key_facts=list(row["key_facts"]), sources=list(row["sources"]), category=row["category"],
                    difficulty=row["difficulty"], answerable=bool(row["answerable"]), split=s,
                    updated_answer=row.get("updated_answer"), updated_key_facts=list(row.get("updated_key_facts", [])),
                ))
            except KeyError as exc:
                raise DataFileError(f"{path}: question {row.get('id', '?')}: missing field {exc}") from exc
    return items


def split_sizes() -> dict[str, int]:
    """{split: number of questions}, counted without building the questions. Lesson 00 prints the sizes;
    lessons and labs tune on dev only, and only `make record` reads the test split (tests/test_locked_split.py)."""
    return {s: len(read_jsonl(EVAL_DIR / f"{s}.jsonl")) for s in SPLITS}


def tickets_path(raw: bool = False) -> Path:
    """The clean ticket file, or the raw one with defects (for the data-cleaning exercise)."""
    return TICKETS_DIR / ("tickets_raw.jsonl" if raw else "tickets.jsonl")


@overload
def load_tickets(raw: Literal[False] = False) -> list[dict]: ...
@overload
def load_tickets(raw: Literal[True]) -> list[str]: ...
@overload
def load_tickets(raw: bool) -> list[dict] | list[str]: ...
def load_tickets(raw: bool = False) -> list[dict] | list[str]:
    """Clean tickets as dicts ({"messages": [...]}). raw=True gives the raw file's lines as strings,
    because some of them are deliberately not valid JSON."""
    path = tickets_path(raw)
    if raw:
        return path.read_text(encoding="utf-8").splitlines()
    return read_jsonl(path)


@dataclass(frozen=True)
class SqlPair:
    """One NL->SQL example (chat form in `messages`, plus what the checker needs)."""

    id: str
    question: str
    sql: str
    ordered: bool
    difficulty: str
    tables: list[str]
    source: str
    messages: list[dict]


def load_sql_pairs() -> list[SqlPair]:
    """The NL->SQL pairs (sql/pairs.jsonl); the first two are the seed article's examples."""
    pairs = []
    for row in read_jsonl(SQL_DIR / "pairs.jsonl"):
        by_role = {m["role"]: m["content"] for m in row["messages"]}
        pairs.append(SqlPair(id=row["id"], question=by_role["user"], sql=by_role["assistant"],
                             ordered=bool(row.get("ordered", False)), difficulty=row.get("difficulty", ""),
                             tables=list(row.get("tables", [])), source=row.get("source", ""),
                             messages=row["messages"]))
    return pairs


def sql_db_path() -> Path:
    """The AcmeCorp DuckDB database, built on first use into the labkit cache (about a second).

    It is rebuilt each day, because its dates are laid out relative to today so that the seed's
    CURRENT_DATE queries ("orders from last month") always find rows; see cards/sql_db.md."""
    from labkit.data import acme_db
    from labkit.paths import cache_dir

    today = dt.date.today()
    path = cache_dir() / "sql" / f"acme-v{acme_db.FORMAT_VERSION}-{today.isoformat()}.duckdb"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        acme_db.build(partial, anchor=today.replace(day=1))
        partial.replace(path)
    return path
