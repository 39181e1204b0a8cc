"""Stage a submission for its sandbox: the notebook and the files of its folder, copied, readable by nobody.

The sandbox sees only this copy (read-only, at /grading/in), never the batch folder. Notebooks other than
the one graded, hidden files, caches and symbolic links stay behind (a link in a learner's repository
could point at the solutions); a folder over 100 MB or 2,000 files is not copied, only the notebook.
Files and folders get modes 0644 and 0755, so the sandbox's uid (nobody) can read them whatever the
learner's modes were. Used by labkit.grading.grade.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

MAX_COPY_BYTES, MAX_COPY_FILES = 100 * 1024 * 1024, 2000   # a bigger folder: only the notebook is copied


def _folder_files(source: Path) -> list[Path]:
    """The files to copy with a submission: its folder minus notebooks, hidden files, caches and links;
    none when the folder is too big to copy for every learner (then the notebook goes alone)."""
    files, total = [], 0
    for root, dirs, names in os.walk(source):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("__pycache__", ".ipynb_checkpoints")
                   and not (Path(root) / d).is_symlink()]
        for name in names:
            path = Path(root) / name
            if path.suffix == ".ipynb" or name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            files.append(path)
            total += path.stat().st_size
            if total > MAX_COPY_BYTES or len(files) > MAX_COPY_FILES:
                return []
    return files


def stage(notebook: Path, dest: Path) -> Path:
    """Copy the notebook and the files of its folder into dest, readable by the sandbox's uid."""
    source = notebook.parent
    dest.mkdir(parents=True, exist_ok=True)
    for path in [*_folder_files(source), notebook]:
        target = dest / (path.relative_to(source) if path != notebook else notebook.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        target.chmod(0o644)
    for root, dirs, _ in os.walk(dest):
        for d in dirs:
            (Path(root) / d).chmod(0o755)
    dest.chmod(0o755)
    return dest / notebook.name
