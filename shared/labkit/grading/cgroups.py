"""A control group per submission: a memory limit for all its processes together, a task limit, and a
sure way to end every process the submission started.

Address-space limits (RLIMIT_AS) are per process, so a learner who starts ten processes gets ten times
the memory; a cgroup counts them all, including what they put in tmpfs. labkit grade creates one when it
can write the cgroup filesystem (as root, or with a delegated cgroup v2 subtree), under
`labkit-grade/` in cgroup v1's memory and pids hierarchies or in cgroup v2. Without one, the sandbox
still has per-process limits, and the report says so. Used by labkit.grading.sandbox.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
GROUP = "labkit-grade"


def _writable(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK)


def version() -> str:
    """"v1" (memory and pids hierarchies writable), "v2" (unified, memory and pids available) or ""."""
    if _writable(ROOT / "memory") and _writable(ROOT / "pids"):
        return "v1"
    controllers = ROOT / "cgroup.controllers"
    if controllers.is_file() and _writable(ROOT):
        available = controllers.read_text().split()
        if "memory" in available and "pids" in available:
            return "v2"
    return ""


@dataclass
class Cgroup:
    """One submission's cgroup: `procs` are the files a process writes its pid to in order to join."""
    dirs: list[Path]
    kind: str
    procs: list[Path] = field(default_factory=list)

    def pids(self) -> set[int]:
        found: set[int] = set()
        for path in self.procs:
            try:
                found |= {int(p) for p in path.read_text().split()}
            except OSError:
                continue
        return found

    def kill_all(self) -> int:
        """SIGKILL every process still in the group (repeating until it is empty); how many there were."""
        seen: set[int] = set()
        for _ in range(100):
            pids = self.pids()
            if not pids:
                break
            seen |= pids
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)
        return len(seen)

    def peak_memory_mb(self) -> float | None:
        for d in self.dirs:
            for name in ("memory.max_usage_in_bytes", "memory.peak"):
                try:
                    return round(int((d / name).read_text()) / 2**20, 1)
                except (OSError, ValueError):
                    continue
        return None

    def remove(self) -> None:
        self.kill_all()
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # still busy for a moment after the last process exited
                    time.sleep(0.02)


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def create(name: str, memory_bytes: int, tasks: int) -> Cgroup | None:
    """A new cgroup with these limits, or None when cgroups cannot be used here."""
    kind = version()
    try:
        if kind == "v1":
            mem, pids = ROOT / "memory" / GROUP / name, ROOT / "pids" / GROUP / name
            for d in (mem, pids):
                d.mkdir(parents=True, exist_ok=True)
            _write(mem / "memory.limit_in_bytes", str(memory_bytes))
            if (mem / "memory.memsw.limit_in_bytes").exists():  # no escape into swap
                _write(mem / "memory.memsw.limit_in_bytes", str(memory_bytes))
            _write(pids / "pids.max", str(tasks))
            return Cgroup([mem, pids], "v1", [mem / "cgroup.procs", pids / "cgroup.procs"])
        if kind == "v2":
            parent = ROOT / GROUP
            parent.mkdir(exist_ok=True)
            for d in (ROOT, parent):
                _write(d / "cgroup.subtree_control", "+memory +pids")
            d = parent / name
            d.mkdir(exist_ok=True)
            _write(d / "memory.max", str(memory_bytes))
            if (d / "memory.swap.max").exists():
                _write(d / "memory.swap.max", "0")
            _write(d / "pids.max", str(tasks))
            return Cgroup([d], "v2", [d / "cgroup.procs"])
    except OSError:
        return None
    return None
