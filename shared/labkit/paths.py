"""Where labkit keeps files it can rebuild: joined and converted model weights, the SQL database.

$LABKIT_CACHE if set, else ~/.cache/labkit. Deleting the folder is always safe: everything in it is
rebuilt on next use (the model conversion takes about a minute).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The labkit cache folder (not created here)."""
    return Path(os.environ.get("LABKIT_CACHE", Path.home() / ".cache" / "labkit"))
