"""Run one submission's job in an OS sandbox (bubblewrap) and collect what it reports, within limits.

Inside the sandbox (`sandbox_command` builds the bwrap command line) a learner's code sees:
- the system (/usr, /etc, ...), the Python installation and venv, and the labkit package: read-only;
- /grading/in: the staged copy of the submission (read-only), copied by the driver to /grading/work;
- /grading/work, /grading/home, /tmp, /dev/shm: private tmpfs, size-capped (with --keep, /grading/work
  is a host folder instead, so the executed notebook and its files stay);
- /grading/cache: labkit's cache (model weights, the SQL database), read-only;
  /grading/grader/data: the lab grader's input files, if it has any (read-only);
- nothing else: not solutions/, the graders, other learners, the batch folder, the reports, $HOME.
It runs in new PID, network (loopback only), IPC, UTS and cgroup namespaces and a new session, dies with
its parent, as an unprivileged uid (root drops to nobody with setpriv; others map to nobody in a user
namespace), with no capabilities and no_new_privs, a cleared environment (`sandbox_env`), per-process
limits set by the driver and, where the cgroup filesystem is writable, a memory and task limit for all
its processes together (labkit.grading.cgroups). The trusted parent kills it at one wall-clock cap.

The job goes in on stdin; events come back as JSON lines on stdout (labkit.grading.driver), at most
`output_mb`; nothing else leaves. `run_job(..., sandbox=False)` runs the same driver without the sandbox
(`labkit grade --no-sandbox`: trusted notebooks only).

This file is a little over 300 lines on purpose: it is the security boundary, and whoever audits it should
find every mount, namespace, limit and the one reader of the sandbox's output in a single file.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from labkit.grading import cgroups

INSIDE = {"in": "/grading/in", "work": "/grading/work", "home": "/grading/home", "cache": "/grading/cache",
          "grader": "/grading/grader"}
SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SANDBOX_UID = 65534   # nobody / nogroup
INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`, Fedora: `sudo dnf install "
                "bubblewrap`), or pass --no-sandbox to grade notebooks you trust without one")


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Defaults and why: docs/instructor_guide.md, "Limits"."""
    seconds: float = 600.0    # wall clock for the whole submission (execution and probes)
    memory_mb: int = 3072     # all its processes together (cgroup)
    address_space_mb: int = 3072  # each process's virtual memory (so a 3 GiB allocation always fails)
    file_mb: int = 1024       # the largest file it may write (the course model is 0.5 GB)
    processes: int = 256      # tasks: processes and threads (a kernel alone has ~30 threads)
    tmp_mb: int = 512         # /tmp, and /dev/shm
    work_mb: int = 2048       # its work folder and home (labkit's private cache copy may land there)
    output_mb: int = 32       # what it may send back
    cell_output_mb: int = 1   # outputs kept per cell in the executed notebook


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made here; the message says why and how to install one."""


def bwrap_path() -> str | None:
    return shutil.which("bwrap") or next((p for p in ("/usr/bin/bwrap",) if os.access(p, os.X_OK)), None)


def _is_root() -> bool:
    return os.geteuid() == 0


@cache
def sandbox_problem() -> str | None:
    """None when bubblewrap works here, else why not (the message names the fix)."""
    if not sys.platform.startswith("linux"):
        return (f"no OS sandbox on {sys.platform}: labkit grade isolates submissions with bubblewrap, which "
                "needs Linux; grade in a Linux container or CI runner, or pass --no-sandbox for notebooks you trust")
    bwrap = bwrap_path()
    if bwrap is None:
        return f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}"
    if _is_root() and not shutil.which("setpriv"):
        return "setpriv (util-linux) is missing: labkit grade needs it to drop root inside the sandbox"
    cmd = [bwrap, *_namespaces(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--", *_drop(), "true"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env={})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap does not run ({exc})"
    if proc.returncode != 0:
        return (f"bubblewrap cannot create a sandbox here ({proc.stderr.strip()[:200]}). Unprivileged user "
                "namespaces may be off: on Ubuntu 23.10+ run `sudo sysctl -w "
                "kernel.apparmor_restrict_unprivileged_userns=0`, or run labkit grade as root (e.g. in CI)")
    return None


def _namespaces() -> list[str]:
    args = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--hostname", "grading", "--die-with-parent", "--new-session"]
    if not _is_root():  # an unprivileged caller: a user namespace, mapped to nobody, no capabilities
        args += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--disable-userns",
                 "--cap-drop", "ALL"]
    return args


def _drop() -> list[str]:
    """As root, bwrap builds the sandbox, then setpriv becomes nobody for good before any learner code."""
    if not _is_root():
        return []
    return ["setpriv", f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}", "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all"]


def _kit_paths() -> list[Path]:
    """The Python installation, the venv and the labkit package: what the sandbox needs to run labkit."""
    import labkit

    paths = [Path(sys.base_prefix).resolve(), Path(sys.prefix), Path(sys.prefix).resolve(),
             Path(labkit.__file__).resolve().parent]
    found: list[Path] = []
    for p in paths:
        if p.is_dir() and not any(p == s or p.is_relative_to(s) for s in map(Path, SYSTEM_DIRS)) and p not in found:
            found.append(p)
    return [p for p in found if not any(p != q and p.is_relative_to(q) for q in found)]


@dataclass
class Mounts:
    """Host folders the sandbox sees besides the system and the kit."""
    stage: Path                     # the staged submission -> /grading/in (read-only)
    keep: Path | None = None        # -> /grading/work read-write instead of a tmpfs (--keep)
    cache: Path | None = None       # labkit's cache -> /grading/cache (read-only)
    grader_data: Path | None = None  # -> /grading/grader/data (read-only)


def _dirs_for(targets: list[Path], bound: list[Path]) -> list[str]:
    """--dir for every parent of a bind target not under another bind (bwrap would make them 0700)."""
    args, made = [], set()
    for target in targets:
        for parent in reversed(target.parents):
            if str(parent) == "/" or parent in made or any(parent == b or parent.is_relative_to(b) for b in bound):
                continue
            made.add(parent)
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def sandbox_command(mounts: Mounts, limits: Limits, env: dict[str, str], argv: list[str]) -> list[str]:
    """The bwrap command line that runs `argv` (the driver) for one submission."""
    cmd = [bwrap_path() or "bwrap", *_namespaces()]
    for d in SYSTEM_DIRS:
        path = Path(d)
        if path.is_symlink():
            cmd += ["--symlink", os.readlink(path), d]
        elif path.is_dir():
            cmd += ["--ro-bind", d, d]
    mb = 2**20
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(limits.tmp_mb * mb), "--tmpfs", "/tmp",
            "--perms", "1777", "--size", str(limits.tmp_mb * mb), "--tmpfs", "/dev/shm"]
    # The kit after the tmpfs mounts: a kit cloned under /tmp (git clone . /tmp/x) stays visible, read-only.
    kit = _kit_paths()
    cmd += _dirs_for(kit, [Path(d) for d in SYSTEM_DIRS])
    for p in kit:
        cmd += ["--ro-bind", str(p), str(p)]
    cmd += ["--perms", "0755", "--dir", "/grading", "--perms", "0755", "--dir", INSIDE["grader"],
            "--ro-bind", str(mounts.stage), INSIDE["in"],
            "--perms", "0777", "--size", str(limits.work_mb * mb), "--tmpfs", INSIDE["home"]]
    if mounts.keep is not None:
        cmd += ["--bind", str(mounts.keep), INSIDE["work"]]
    else:
        cmd += ["--perms", "0777", "--size", str(limits.work_mb * mb), "--tmpfs", INSIDE["work"]]
    if mounts.cache is not None and mounts.cache.is_dir():
        cmd += ["--ro-bind", str(mounts.cache), INSIDE["cache"]]
    if mounts.grader_data is not None:
        cmd += ["--ro-bind", str(mounts.grader_data), f"{INSIDE['grader']}/data"]
    cmd += ["--clearenv"]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    return [*cmd, "--chdir", INSIDE["work"], "--", *_drop(), *argv]


def sandbox_env(home: str, venv_bin: str) -> dict[str, str]:
    """The whole environment of the sandbox (an allow-list: nothing of the grader's is passed on)."""
    threads = "2"  # fixed, like the local model's: results and timings do not depend on the machine
    return {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": "/tmp", "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{home}/.config/matplotlib", "XDG_CACHE_HOME": f"{home}/.cache",
        "XDG_CONFIG_HOME": f"{home}/.config", "IPYTHONDIR": f"{home}/.ipython",
        "JUPYTER_CONFIG_DIR": f"{home}/.jupyter", "JUPYTER_DATA_DIR": f"{home}/.local/share/jupyter",
        "JUPYTER_RUNTIME_DIR": f"{home}/.local/share/jupyter/runtime", "JUPYTER_PLATFORM_DIRS": "1",
        "LABKIT_CACHE": f"{home}/.cache/labkit",
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False", "TOKENIZERS_PARALLELISM": "false", "MALLOC_ARENA_MAX": "2",
        "OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
        "NUMEXPR_NUM_THREADS": threads,
    }


@dataclass
class SandboxRun:
    """What came back from one submission's sandbox."""
    events: list[dict] = field(default_factory=list)
    returncode: int | None = None
    seconds: float = 0.0
    capped: bool = False        # stopped at the wall-clock cap
    overflow: bool = False      # sent more than Limits.output_mb
    stderr: str = ""            # the start and end of its stderr (for --keep)
    cgroup: str = ""            # "v1" / "v2": memory and tasks limited for the whole sandbox; "": per process
    peak_memory_mb: float | None = None
    leftover: int = 0           # processes still in its cgroup after it ended (then killed)


def rlimits(limits: Limits, cgroup: bool, sandbox: bool) -> dict[str, int | None]:
    """Per-process limits the driver sets before any learner code runs. The process count is left to
    the cgroup when there is one; without, RLIMIT_NPROC applies only where the sandbox has a uid of its
    own (root drops to nobody), since it counts every process of that uid."""
    mb = 2**20
    nproc = None if cgroup or not (sandbox and _is_root()) else limits.processes
    return {"as": limits.address_space_mb * mb, "fsize": limits.file_mb * mb, "nofile": 1024, "core": 0,
            "nproc": nproc}


def _read_events(stream, run: SandboxRun, limit: int, stop: threading.Event, token: str) -> None:
    total = 0
    for line in iter(lambda: stream.readline(limit + 1), b""):
        total += len(line)
        if total > limit:
            run.overflow = True
            stop.set()
            break
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(event, dict) and isinstance(event.get("event"), str) and event.get("token") == token:
            run.events.append(event)
    for _ in iter(lambda: stream.read(1 << 16), b""):  # drain whatever follows an overflow
        pass


def _read_tail(stream, run: SandboxRun, keep: int = 32_768) -> None:
    head, tail, size = b"", b"", 0
    for chunk in iter(lambda: stream.read(1 << 16), b""):
        size += len(chunk)
        if len(head) < keep:
            head += chunk[: keep - len(head)]
        tail = (tail + chunk)[-keep:]
    text = head if size <= keep else head + b"\n[...]\n" + tail
    run.stderr = text.decode("utf-8", "replace")


def run_job(job: dict, mounts: Mounts, limits: Limits, *, sandbox: bool = True, name: str = "submission",
            host_dirs: dict[str, Path] | None = None) -> SandboxRun:
    """Run the driver on `job` (in the sandbox, or with `sandbox=False` as a plain process using
    `host_dirs` {"work", "home"}); never longer than limits.seconds; never leaves a process behind."""
    run = SandboxRun()
    group = cgroups.create(f"{os.getpid()}-{name}", limits.memory_mb * 2**20, limits.processes)
    run.cgroup = group.kind if group else ""
    token = secrets.token_hex(16)  # events without it are not the driver's (labkit.grading.driver)
    job = {**job, "token": token, "rlimits": rlimits(limits, cgroup=group is not None, sandbox=sandbox)}
    argv = [sys.executable, "-I", "-m", "labkit.grading.driver"]
    venv_bin = str(Path(sys.executable).parent)
    if sandbox:
        env = sandbox_env(INSIDE["home"], venv_bin)
        cmd, cwd = sandbox_command(mounts, limits, env, argv), "/"
        env = {}
    else:
        dirs = host_dirs or {}
        env = sandbox_env(str(dirs["home"]), venv_bin)
        cmd, cwd = argv, str(dirs["work"])
    if group:  # join the cgroup before anything else starts (its children inherit it)
        join = "; ".join(f'echo $$ > "{p}" || exit 97' for p in group.procs)
        cmd = ["/bin/sh", "-c", f'{join}; exec "$@"', "sh", *cmd]
    start, stop = time.monotonic(), threading.Event()
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        if group:
            group.remove()
        raise SandboxUnavailable(f"could not start the sandbox: {exc}") from exc
    readers = [threading.Thread(target=_read_events, args=(proc.stdout, run, limits.output_mb * 2**20, stop, token)),
               threading.Thread(target=_read_tail, args=(proc.stderr, run))]
    for t in readers:
        t.start()
    assert proc.stdin is not None  # opened with stdin=PIPE
    try:
        proc.stdin.write(json.dumps(job).encode())
        proc.stdin.close()
    except OSError:  # it ended before reading its job: the events say nothing, which is reported
        pass
    deadline = start + limits.seconds
    while proc.poll() is None:
        if stop.is_set() or time.monotonic() >= deadline:
            run.capped = not stop.is_set()
            break
        time.sleep(0.05)
    if group and proc.poll() is not None:
        run.leftover = len(group.pids())  # bwrap's PID namespace should have taken them all along
    _end(proc, group)
    for t in readers:
        t.join(timeout=10)
    run.returncode, run.seconds = proc.returncode, round(time.monotonic() - start, 2)
    if group:
        run.peak_memory_mb = group.peak_memory_mb()
        group.remove()
    return run


def _end(proc: subprocess.Popen, group: cgroups.Cgroup | None) -> None:
    """SIGKILL the sandbox (bwrap's PID namespace takes every process in it along), whatever is left in
    its process group (all there is without the sandbox, with a process that left the group surviving
    unless there is a cgroup) and its cgroup."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        if proc.poll() is None:
            proc.kill()
    if group:
        group.kill_all()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
