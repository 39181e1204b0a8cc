"""One llama.cpp server per child process: why the local engine starts its servers this way, and how.

llama.cpp's CPU kernels share work between their threads with OpenMP (libgomp). libgomp counts every
OpenMP thread of a *process*; once they outnumber the cores, its threads stop spin-waiting between the
steps of each token and sleep instead, which is slow. With two servers in one process (the base model and
an adapter, as `labkit compare` and lesson 04 need) that happens on 2 cores even while the other server is
idle: one server decoded 18 tokens/s alone and 6-11 tokens/s once a second server had answered once, and
18 again after the second was stopped (`bench/local_model_bench.py` measures the second-server case).
One server per process keeps each process's OpenMP threads within the cores, so every server runs at
full speed however many are up. The answers do not change: the same llama.cpp server with the same
settings, only in another process.

`spawn(config)` starts `python -c ...` with this package on its path; the child builds the server
(`labkit.engine.new_server(config)`), prints one line `READY <url>` (or `ERROR <message>`), then waits on
its standard input. Closing that pipe, which also happens when this process dies, stops the child. Used
by `labkit.engine.start`, hence by every lesson, `labkit compare` and `labkit serve`.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import weakref
from pathlib import Path

READY_TIMEOUT_S = 600.0  # a cold start joins and maps a 400 MB model; far below this even on a slow disk

_CHILD = ("import json, sys; sys.path[:0] = json.loads(sys.argv[1]); "
          "from labkit.server_process import child_main; child_main(json.loads(sys.argv[2]))")


class ServerProcessError(RuntimeError):
    """The child process could not start its server; the message is llama.cpp's, or says how it ended."""


class ServerProcess:
    """A running child process with one server in it. It stops when this object is garbage collected,
    when `stop()` is called, or when this process exits."""

    def __init__(self, proc: subprocess.Popen, url: str):
        self.proc, self.url, self.pid = proc, url, proc.pid
        self._finalizer = weakref.finalize(self, _stop, proc)

    def stop(self) -> None:
        self._finalizer()


def _stop(proc: subprocess.Popen) -> None:
    try:
        if proc.stdin:
            proc.stdin.close()  # the child's signal to end
        proc.wait(timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()
    if proc.stdout:
        proc.stdout.close()


def spawn(config: dict, timeout_s: float = READY_TIMEOUT_S) -> ServerProcess:
    """Start a child process running `labkit.engine.new_server(config)`; ServerProcessError if it fails."""
    package_root = str(Path(__file__).resolve().parent.parent)
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, json.dumps([package_root, *sys.path]),
                             json.dumps(config)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            start_new_session=False)
    deadline = time.monotonic() + timeout_s
    assert proc.stdout is not None
    line = b""
    while not line.startswith((b"READY ", b"ERROR ")):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            _stop(proc)
            raise ServerProcessError(f"the server process did not start within {timeout_s:.0f} s")
        line = proc.stdout.readline()
        if not line:  # the child ended without saying why: its error is on stderr
            code = proc.wait()
            raise ServerProcessError(f"the server process ended with exit code {code} before it was ready "
                                     "(see the messages above)")
    text = line.decode(errors="replace").strip()
    if text.startswith("ERROR "):
        _stop(proc)
        raise ServerProcessError(text[len("ERROR "):])
    return ServerProcess(proc, text[len("READY "):])


def child_main(config: dict) -> None:
    """The child: start the server, say where it listens, serve until standard input closes."""
    from labkit.engine import new_server

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which then stops us
    try:
        server = new_server(config)
    except RuntimeError as exc:
        print("ERROR " + " ".join(str(exc).split()), flush=True)
        os._exit(1)
    print(f"READY {server.listening_address}", flush=True)
    sys.stdin.buffer.read()  # returns when the parent closes the pipe or exits
    os._exit(0)  # skip interpreter teardown: the server and its threads go with the process
