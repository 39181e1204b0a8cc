"""`labkit serve`: one shared model server for a room (workshop mode).

    labkit serve --host 0.0.0.0 --port 8080 --parallel 4       # on the instructor's machine
    export LABKIT_LLM_URL=http://HOST:8080                      # on every learner's machine

Each learner's `labkit.llm.get_client()` then sends its requests to this machine instead of loading the
model itself. The base model listens on PORT and each course adapter on the next ports, in the order of
`labkit.adapters.COURSE_ADAPTERS` (support-format on PORT+1, support-knowledge on PORT+2, sql on PORT+3):
llama.cpp applies a LoRA adapter per server, not per request. `--parallel N` gives every server N slots,
so N learners are answered at once (batched; answers may then differ slightly from one-slot answers).
What it is worth on a given machine: bench/serve_bench.py.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the course model (and its adapters) for a room: set "
                                     "LABKIT_LLM_URL=http://HOST:PORT on the learners' machines")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    p.add_argument("--port", type=int, default=8080, help="port of the base model; adapters use the next ports")
    p.add_argument("--parallel", type=int, default=1, help="slots per server: learners answered at once")
    p.add_argument("--no-adapters", action="store_true", help="serve the base model only")
    p.set_defaults(func=run)


def start_all(host: str, port: int, parallel: int, with_adapters: bool = True) -> list:
    """Start the base model on `port` and each course adapter that exists on port + 1 + its index."""
    from labkit import engine
    from labkit.adapters import COURSE_ADAPTERS

    model = engine.model_path()
    servers = [engine.start(model, host=host, port=port, parallel=parallel)]
    if with_adapters:
        for i, adapter in enumerate(COURSE_ADAPTERS):
            if adapter.path.exists():
                servers.append(engine.start(model, adapter.path, host=host, port=port + 1 + i, parallel=parallel))
    return servers


def run(args: argparse.Namespace) -> int:
    from labkit.engine import EngineError

    if args.parallel < 1:
        print("labkit serve: --parallel must be at least 1", file=sys.stderr)
        return 2
    try:
        servers = start_all(args.host, args.port, args.parallel, not args.no_adapters)
    except EngineError as exc:
        print(f"labkit serve: {exc}", file=sys.stderr)
        return 2
    for s in servers:
        print(f"{s.url}  {s.name}  (loaded in {s.load_seconds:.1f} s)", flush=True)
    print(f"learners: export LABKIT_LLM_URL=http://{args.host}:{args.port}   (Ctrl-C stops)", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    return 0
