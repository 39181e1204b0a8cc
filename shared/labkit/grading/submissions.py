"""Which notebooks to grade, whose they are and which lab they answer, from the paths given to `labkit grade`.

- a notebook file: one submission; the learner is the file's stem, or its folder's name when the stem is
  just the lab's name (`alice/01_prompting.ipynb` is alice's);
- a folder holding .ipynb files: one learner per file (the learner is the file's stem);
- a folder holding sub-folders: one learner per sub-folder (the learner is the sub-folder's name), every
  notebook directly inside it a submission; a sub-folder without a notebook is reported as an error row
  (the learner handed in nothing) rather than skipped silently, unless the folder also holds notebooks
  directly (then it is a data folder: skipped with a warning).

The lab of a notebook is `--lab` if given, else its stem when that is a lab's name (`01_prompting.ipynb`),
else the one lab name the stem contains (`alice_01_prompting.ipynb`). A notebook whose lab cannot be told
becomes an error row naming the fix. Two notebooks of the same lab in one learner's folder are one error
row naming both (which one counts is the learner's call, not the grader's). A notebook or learner folder
that is a symbolic link is an error row too (in a learner's repository it could point at the solutions).
Hidden folders, `.ipynb_checkpoints` and `__pycache__` are skipped.

`shard(refs, k, n)` is the k-th of n deterministic slices of a class (whole learners, dealt round-robin
in name order), so CI jobs can grade a large class in parallel and `labkit grade merge` joins them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SKIP_DIRS = {".ipynb_checkpoints", "__pycache__"}


class UsageError(ValueError):
    """The command line cannot be graded as given (no such path, nothing to grade, unknown lab)."""


@dataclass(frozen=True)
class SubmissionRef:
    learner: str
    lab: str | None
    notebook: Path | None     # None: the learner handed in no notebook
    problem: str = ""         # why this submission cannot be graded (an error row), or ""


def infer_lab(stem: str, labs: list[str]) -> str | None:
    """The lab a notebook stem names: exact match, else the longest lab name it contains, else None."""
    if stem in labs:
        return stem
    contained = sorted((lab for lab in labs if lab in stem), key=len, reverse=True)
    if len(contained) == 1 or (len(contained) > 1 and len(contained[0]) > len(contained[1])):
        return contained[0]
    return None


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name not in SKIP_DIRS


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if (p.is_file() or p.is_symlink()) and _visible(p))


LINK = "is a symbolic link: hand in the notebook itself (a link could point at anything, the solutions too)"


def _ref(learner: str, notebook: Path, labs: list[str], lab: str | None) -> SubmissionRef:
    if notebook.is_symlink():
        return SubmissionRef(learner, lab or infer_lab(notebook.stem, labs), notebook, f"{notebook.name} {LINK}")
    found = lab or infer_lab(notebook.stem, labs)
    if found is None:
        known = ", ".join(labs) or "none"
        return SubmissionRef(learner, None, notebook, f"cannot tell which lab {notebook.name} is (labs: {known}); "
                                                      "name the file after the lab or pass --lab")
    return SubmissionRef(learner, found, notebook)


def discover(paths: list[Path], labs: list[str], lab: str | None = None) -> tuple[list[SubmissionRef], list[str]]:
    """(submissions, warnings) for the given paths; raises UsageError when there is nothing to grade."""
    if lab is not None and lab not in labs:
        raise UsageError(f"--lab {lab}: no such lab (labs: {', '.join(labs) or 'none'})")
    refs: list[SubmissionRef] = []
    warnings: list[str] = []
    for path in map(Path, paths):
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder")
        if path.is_symlink():
            raise UsageError(f"{path} is a symbolic link (to {path.resolve()}): give that path itself if you mean it")
        if path.is_file():
            if path.suffix != ".ipynb":
                raise UsageError(f"{path}: not a notebook (.ipynb)")
            learner = path.resolve().parent.name if path.stem in labs else path.stem
            refs.append(_ref(learner, path, labs, lab))
            continue
        found = [_ref(nb.stem, nb, labs, lab) for nb in _notebooks(path)]
        flat = bool(found)
        for sub in sorted(p for p in path.iterdir() if p.is_dir() and _visible(p)):
            if sub.is_symlink():  # a learner "folder" that is really somewhere else
                found.append(SubmissionRef(sub.name, lab, None, f"{sub} is a symbolic link to a folder: not graded"))
                continue
            notebooks = _notebooks(sub)
            found += [_ref(sub.name, nb, labs, lab) for nb in notebooks]
            if not notebooks and flat:  # a data folder next to the learners' notebooks
                warnings.append(f"{sub}: no notebooks, skipped")
            elif not notebooks:
                found.append(SubmissionRef(sub.name, lab, None, f"no notebook in {sub}"))
        if not found:
            warnings.append(f"{path}: no notebooks (expected .ipynb files, or one sub-folder per learner)")
        refs += found
    unique = list({(r.learner, str(r.notebook.resolve()) if r.notebook else r.problem): r for r in refs}.values())
    if not unique:
        raise UsageError("nothing to grade: " + "; ".join(warnings))
    return one_per_lab(unique), warnings


def one_per_lab(refs: list[SubmissionRef]) -> list[SubmissionRef]:
    """Merge a learner's several notebooks of one lab (in one folder) into a single error row."""
    groups: dict[tuple[str, str, str] | int, list[SubmissionRef]] = {}
    for r in refs:
        key = (r.learner, r.lab, str(r.notebook.resolve().parent)) if r.lab and r.notebook and not r.problem else id(r)
        groups.setdefault(key, []).append(r)
    out = []
    for group in groups.values():
        if len(group) == 1:
            out.append(group[0])
            continue
        pairs = [(r.notebook, r) for r in group if r.notebook is not None]
        assert len(pairs) == len(group), "a ref without a notebook is keyed by its id, so it is never grouped"
        names = ", ".join(sorted(notebook.name for notebook, _ in pairs))
        notebook, first = min(pairs, key=lambda pair: pair[0].name)
        out.append(SubmissionRef(first.learner, first.lab, notebook,
                                 f"{len(group)} notebooks of lab {first.lab} in {notebook.parent}: {names}; "
                                 "hand in exactly one"))
    return out


def parse_shard(text: str) -> tuple[int, int]:
    """"2/4" -> (2, 4); raises UsageError unless 1 <= K <= N."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard {text}: expected K/N, like 2/4") from None
    if not 1 <= k <= n:
        raise UsageError(f"--shard {text}: need 1 <= K <= N")
    return k, n


def shard(refs: list[SubmissionRef], k: int, n: int) -> list[SubmissionRef]:
    """The learners of slice k (1-based) of n: learners sorted by name, dealt round-robin; every
    submission of a learner is in the same slice, so each slice writes whole feedback files."""
    learners = sorted({r.learner for r in refs})
    mine = {name for i, name in enumerate(learners) if i % n == k - 1}
    return [r for r in refs if r.learner in mine]
