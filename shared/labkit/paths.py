"""Where labkit keeps things: the cache of files it can rebuild, and the committed run records.

- the cache: $LABKIT_CACHE if set, else ~/.cache/labkit (joined model weights, the dequantized training
  model, the SQL database). Deleting it is always safe: everything in it is rebuilt on next use.
- run records: `bench/*.json` in the course repository, written by make targets (`make record`,
  `make sql-quality`) and committed, so lessons 03b and 04 show measured figures without re-running them.
  A record a graded lab reads lives in the package instead (`labkit/data/records/`, `shipped=True`): the
  grading sandbox sees the labkit package, not the repository's bench/ (lab 01 reads `make record-sample`).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The labkit cache folder (not created here)."""
    return Path(os.environ.get("LABKIT_CACHE", Path.home() / ".cache" / "labkit"))


REPO = Path(__file__).resolve().parents[2]  # labkit lives in <repo>/shared/labkit (an editable install)
BENCH = REPO / "bench"
SHIPPED_RECORDS = Path(__file__).resolve().parent / "data" / "records"


class RecordMissing(FileNotFoundError):
    """A run record a lesson reads has not been made (or committed) yet."""


def load_record(name: str, make: str, shipped: bool = False) -> dict:
    """The committed run record bench/<name>.json (labkit/data/records/<name>.json when `shipped`);
    RecordMissing names the make target that writes it."""
    import json

    path = (SHIPPED_RECORDS if shipped else BENCH) / f"{name}.json"
    if not path.exists():
        raise RecordMissing(f"{path} is missing: `{make}` writes it (or restore it with git checkout)")
    return json.loads(path.read_text())

