"""Workshop mode: one shared model server for a room vs every learner loading the model on the same machine.

For 1, 4 and 8 concurrent learners, each makes REQUESTS chat-sized requests (a short prompt, up to 100
output tokens) one after the other:
- shared: `labkit serve --parallel N` in its own process (one llama.cpp server with N slots), the
  learners as threads of this process talking to it over loopback through the anthropic SDK;
- own model: N separate processes, each starting its own one-slot server (what every learner's
  `get_client()` does without LABKIT_LLM_URL), all asking at the same moment once loaded.
Printed: aggregate output tokens/s (all tokens / wall time from the first request to the last answer),
p50 and p95 request latency, and the peak memory of the model servers.

Run: .venv/bin/python bench/serve_bench.py [--learners 1 4 8] [--requests 2]   (about 6 minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import anthropic
import numpy as np

from labkit import engine

MAX_TOKENS = 100
NAMES = ["Ana", "Bo", "Chen", "Dara", "Eli", "Farah", "Gus", "Hana"]


def prompt(learner: int, i: int) -> str:
    return (f"Write a short, friendly welcome message for {NAMES[learner % len(NAMES)]}, who just joined AcmeCorp's "
            f"Pro plan (message {i + 1}). Mention one tip for getting started.")


def ask_all(url: str, learner: int, requests: int) -> list[tuple[float, float, int]]:
    """(start, end, output tokens) of each request one learner makes, one after the other."""
    client = anthropic.Anthropic(api_key="local", base_url=url, max_retries=0)
    out = []
    for i in range(requests):
        t0 = time.time()
        msg = client.messages.create(model="local", max_tokens=MAX_TOKENS,
                                     messages=[{"role": "user", "content": prompt(learner, i)}])
        out.append((t0, time.time(), msg.usage.output_tokens))
    return out


def summary(label: str, n: int, rows: list[tuple[float, float, int]], memory_mb: float) -> dict:
    latencies = [end - start for start, end, _ in rows]
    wall = max(end for _, end, _ in rows) - min(start for start, _, _ in rows)
    return {"setup": label, "learners": n, "requests": len(rows), "tok_s": sum(t for *_, t in rows) / wall,
            "p50_s": float(np.percentile(latencies, 50)), "p95_s": float(np.percentile(latencies, 95)),
            "memory_mb": memory_mb}


def rss_mb(pid: int | str = "self") -> float:
    """Peak resident memory of `pid` and every process under it (each llama.cpp server has its own)."""
    pid = os.getpid() if pid == "self" else int(pid)
    with open(f"/proc/{pid}/status") as f:
        own = next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    children = [int(c) for task in os.listdir(f"/proc/{pid}/task")
                for c in open(f"/proc/{pid}/task/{task}/children").read().split()]
    return own + sum(rss_mb(c) for c in children)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shared(n: int, requests: int) -> dict:
    """`labkit serve --parallel n` in its own process, n learner threads asking it."""
    port = free_port()
    serve = subprocess.Popen([sys.executable, "-m", "labkit.cli", "serve", "--port", str(port), "--parallel", str(n),
                              "--no-adapters"], stdout=subprocess.PIPE, text=True)
    try:
        while "LABKIT_LLM_URL" not in (line := serve.stdout.readline()):
            if not line:
                raise RuntimeError("labkit serve ended before it was ready")
        url = f"http://127.0.0.1:{port}"
        with ThreadPoolExecutor(n) as pool:
            rows = [r for learner in pool.map(lambda k: ask_all(url, k, requests), range(n)) for r in learner]
        memory = rss_mb(serve.pid)
    finally:
        serve.terminate()
        serve.wait(timeout=60)
    return summary(f"shared server, {n} slots", n, rows, memory)


CHILD = """
import json, sys, time
from labkit import engine
sys.path.insert(0, {bench!r})
from serve_bench import ask_all, rss_mb
served = engine.start(engine.model_path())
time.sleep(max(0.0, {start_at} - time.time()))
rows = ask_all(served.url, {learner}, {requests})
print(json.dumps({{"rows": rows, "memory_mb": rss_mb()}}))
"""


def own_models(n: int, requests: int) -> dict:
    start_at = time.time() + 10 + 3 * n  # every learner has loaded its model by then
    bench = str(__import__("pathlib").Path(__file__).resolve().parent)
    procs = [subprocess.Popen([sys.executable, "-c", CHILD.format(bench=bench, start_at=start_at, learner=k,
                                                                  requests=requests)],
                              stdout=subprocess.PIPE, text=True) for k in range(n)]
    outs = [json.loads(p.communicate(timeout=1800)[0].strip().splitlines()[-1]) for p in procs]
    if time.time() < start_at:
        raise RuntimeError("a learner finished before the common start: raise the load margin")
    rows = [tuple(r) for o in outs for r in o["rows"]]
    return summary(f"{n} own models, 1 slot each", n, rows, sum(o["memory_mb"] for o in outs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--requests", type=int, default=2, help="requests per learner")
    args = parser.parse_args()
    rows = []
    for n in args.learners:
        rows += [shared(n, args.requests), own_models(n, args.requests)]
    print(f"{args.requests} requests per learner, up to {MAX_TOKENS} output tokens each, {engine.N_THREADS} "
          "threads per server")
    print("| setup | learners | requests | output tokens/s | p50 latency s | p95 latency s | peak memory MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['setup']} | {r['learners']} | {r['requests']} | {r['tok_s']:.1f} | {r['p50_s']:.1f} | "
              f"{r['p95_s']:.1f} | {r['memory_mb']:,.0f} |")
    by = {(r["learners"], r["setup"].startswith("shared")): r for r in rows}
    top = max(args.learners)
    s, o = by[(top, True)], by[(top, False)]
    print(f"HEADLINE: {top} learners {s['tok_s']:.1f} tok/s aggregate, p95 {s['p95_s']:.1f} s on one "
          f"shared server vs {o['tok_s']:.1f} tok/s, p95 {o['p95_s']:.1f} s with {top} own models "
          f"({s['tok_s'] / o['tok_s']:.2f}x); memory {s['memory_mb']:,.0f} vs {o['memory_mb']:,.0f} MB")


if __name__ == "__main__":
    main()
