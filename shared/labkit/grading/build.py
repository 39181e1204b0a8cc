"""Build labs/NN.ipynb from every solutions/NN.ipynb, and check that labs/ is up to date.

labs/ must always equal what stripping produces (learners get exactly the solution minus the answers),
so `build_labs` rewrites changed labs and removes labs whose solution is gone, and `check_labs` lists
every difference without writing anything (`labkit labs check`, tests/test_labs_in_sync.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from labkit.grading.notebooks import read_notebook
from labkit.grading.strip import lab_bytes


@dataclass
class BuildResult:
    written: list[Path] = field(default_factory=list)    # created or changed
    unchanged: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)    # labs without a solution


def expected_labs(solutions_dir: Path) -> dict[str, bytes]:
    """{"NN_name.ipynb": lab bytes} for every solutions_dir/*.ipynb (raises on a malformed solution)."""
    labs = {}
    for path in sorted(Path(solutions_dir).glob("*.ipynb")):
        labs[path.name] = lab_bytes(read_notebook(path), name=str(path), lab=path.stem)
    return labs


def build_labs(solutions_dir: Path, labs_dir: Path) -> BuildResult:
    """Write every lab that differs; remove labs_dir/*.ipynb that no solution produces."""
    expected = expected_labs(solutions_dir)  # everything is stripped before anything is written
    labs_dir = Path(labs_dir)
    labs_dir.mkdir(parents=True, exist_ok=True)
    result = BuildResult()
    for name, data in expected.items():
        target = labs_dir / name
        if target.exists() and target.read_bytes() == data:
            result.unchanged.append(target)
        else:
            target.write_bytes(data)
            result.written.append(target)
    for stale in sorted(labs_dir.glob("*.ipynb")):
        if stale.name not in expected:
            stale.unlink()
            result.removed.append(stale)
    return result


def check_labs(solutions_dir: Path, labs_dir: Path) -> list[str]:
    """Human-readable differences between labs_dir and what `build_labs` would write (empty: in sync)."""
    expected = expected_labs(solutions_dir)
    labs_dir = Path(labs_dir)
    problems = []
    for name, data in expected.items():
        target = labs_dir / name
        if not target.exists():
            problems.append(f"{target}: missing (run `labkit labs build`)")
        elif target.read_bytes() != data:
            problems.append(f"{target}: differs from what {Path(solutions_dir) / name} produces "
                            "(edit the solution, then run `labkit labs build`)")
    for stale in sorted(labs_dir.glob("*.ipynb")) if labs_dir.is_dir() else []:
        if stale.name not in expected:
            problems.append(f"{stale}: no solution {Path(solutions_dir) / stale.name} produces it")
    return problems
