"""Inside the sandbox: execute one submission and run its lab's probes; report JSON lines on stdout.

`python -I -m labkit.grading.driver` is what labkit.grading.sandbox starts in the sandbox. It reads one
job (JSON) from stdin before any learner code runs, then:
1. makes itself non-dumpable (learner code in the kernel cannot read its memory or file descriptors),
   sets the per-process limits (address space, file size, open files, no core files; soft = hard, so
   they cannot be raised again), copies the staged submission into the work folder and gives labkit a
   private cache whose files link to the shared read-only one;
2. executes the notebook (labkit.grading.execute), reporting each cell as it finishes;
3. only then sends the probes to the kernel, one execution each, and reports each result.

Events, one JSON object per line: {"event": "cell", "index", "status", "seconds", "error"},
{"event": "probe", "name", "status", "text", "seconds"}, {"event": "done", "seconds", "restarts"},
{"event": "fatal", "error"}, each with the job's token (kept only in this process's memory; the trusted
side drops lines without it, so learner code that reaches the output pipe cannot add events). The
trusted side still treats every event as a claim by the submission: it can change that submission's own
messages and probe results, which are then checked, and nothing else.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

PROBE_SHARE = 0.25  # of the time cap, kept for the probes: cells are not started after the rest is used
PROBE_CELL = ("import labkit.grading.probing as __labkit_probing__\n"
              "__labkit_probing__.emit(globals(), {source!r}, {name!r}, {file!r}, {folder!r})")
RLIMITS = {"as": "RLIMIT_AS", "fsize": "RLIMIT_FSIZE", "nproc": "RLIMIT_NPROC", "nofile": "RLIMIT_NOFILE",
           "core": "RLIMIT_CORE"}


class _Events:
    """Writes events, each with the job's token (a process that is not the driver cannot know it)."""

    def __init__(self, stream, token: str) -> None:
        self.stream, self.token = stream, token

    def __call__(self, event: str, **fields) -> None:
        self.stream.write(json.dumps({"event": event, "token": self.token, **fields}) + "\n")
        self.stream.flush()


def _no_dump() -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


def set_limits(limits: dict) -> None:
    """soft = hard = the job's value (never above an existing hard limit)."""
    for key, value in limits.items():
        if value is None or key not in RLIMITS:
            continue
        res = getattr(resource, RLIMITS[key])
        hard = resource.getrlimit(res)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(res, (value, value))


def link_cache(shared: Path, private: Path) -> None:
    """`private` mirrors `shared`: real folders, files as symlinks (read-only through them), so labkit
    can add files of its own (a model it joins, a database it builds) without touching `shared`."""
    for root, dirs, files in os.walk(shared):
        target = private / Path(root).relative_to(shared)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            link = target / name
            if not link.exists():
                link.symlink_to(Path(root) / name)
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]


def prepare(job: dict) -> tuple[Path, Path]:
    paths = {k: Path(v) if v else None for k, v in job["paths"].items()}
    work, home, given = paths["work"], paths["home"], paths["in"]
    assert work is not None and home is not None and given is not None, "a job names its in, work and home folders"
    for sub in (".cache", ".config", ".ipython", ".jupyter", ".local/share/jupyter/runtime"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    for entry in given.iterdir():  # not copytree on work itself: its owner (root) keeps its mode
        if entry.is_dir():
            shutil.copytree(entry, work / entry.name, copy_function=shutil.copyfile)
        else:
            shutil.copyfile(entry, work / entry.name)
    cache = paths.get("cache")
    if cache and cache.is_dir():
        link_cache(cache, Path(os.environ.get("LABKIT_CACHE", home / ".cache" / "labkit")))
    return work, home


def run(job: dict, emit: _Events) -> None:
    # nbformat imports jsonschema, which compiles ~40 grammars (1.5-4 s) for the optional "iri" format
    # check of rfc3987_syntax; notebooks never use it, so the driver does without (an ImportError for it).
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None: its import raises ImportError
    import nbformat

    from labkit.grading.execute import Runner, execute
    from labkit.testing.no_network import child_environment

    started = time.monotonic()
    work, home = prepare(job)
    notebook = work / job["notebook"]
    nb = nbformat.read(str(notebook), as_version=4)
    runner = Runner(nb, work, float(job["cell_timeout"]), child_environment(dict(os.environ)),
                    int(job["cell_output_bytes"]))
    stop_at = started + float(job["seconds"]) * (1 - PROBE_SHARE)
    probes = [(p["name"], PROBE_CELL.format(source=job["probes_source"], name=p["name"], file=job["grader_file"],
                                            folder=str(work)), float(p["timeout"]))
              for p in job["probes"]]

    def on_cell(cell) -> None:
        emit("cell", index=cell.index, status=cell.status, seconds=round(cell.seconds, 3), error=cell.error[:500])

    def on_probe(name, result) -> None:
        emit("probe", name=name, status=result.status, text=result.text, seconds=round(result.seconds, 3))

    asyncio.run(execute(runner, home / "kernel.log", bool(job["run_tagged"]), stop_at, probes, on_cell, on_probe))
    if job.get("keep"):
        nbformat.write(nb, str(notebook))
        shutil.copy(home / "kernel.log", work / ".labkit-kernel.log")
    emit("done", seconds=round(time.monotonic() - started, 2), restarts=runner.restarts)


def main() -> int:
    job = json.loads(sys.stdin.buffer.read())
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    events = _Events(os.fdopen(os.dup(1), "w", encoding="utf-8"), str(job.get("token", "")))
    os.dup2(2, 1)  # anything else printed goes to stderr, never into the events
    _no_dump()
    set_limits(job.get("rlimits", {}))
    try:
        run(job, events)
    except BaseException as exc:  # noqa: BLE001 - reported, then the sandbox ends
        events("fatal", error=f"{exc.__class__.__name__}: {exc}"[:500])
        return 1
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    os._exit(code)  # not an interpreter shutdown: it would wait for a channel thread a dead kernel left stuck
