"""Run every benchmark and write bench/RESULTS.md (`make bench`).

Each benchmark runs as its own subprocess with its own time limit (clipped to what is left of the whole
run's budget, 20 minutes by default), so a failure or a hang costs only that benchmark: it is marked
"failed: <reason>" in RESULTS.md and the others still run. Lines a benchmark prints starting with
"HEADLINE:" are collected at the top of RESULTS.md.

Run: .venv/bin/python bench/run_all.py [--budget 1200] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# (name, script and arguments, time limit in seconds); run in this order.
BENCHMARKS: list[tuple[str, list[str], float]] = [
    ("indexing", ["indexing_bench.py", "--repeat", "3"], 300),
    ("retrieval latency", ["retrieval_latency.py", "--queries", "20"], 480),
    ("retrieval quality", ["retrieval_eval.py"], 240),
    ("local model speed", ["local_model_bench.py"], 300),
    ("recorded run time", ["recorded_run_time.py"], 180),
    ("workshop server", ["serve_bench.py", "--learners", "1", "4"], 900),  # 8 own models: 16 threads on 2 cores
    ("model probe", ["probe_models.py"], 360),
    ("course", ["course_bench.py"], 1200),
    ("grading", ["grading_bench.py", "--repeat", "3", "--labs"], 900),
]


def machine() -> list[str]:
    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        mem_kb = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")))
        ram = f"{mem_kb / 1024 ** 2:.1f} GiB"
    except (OSError, StopIteration):
        ram = "unknown"
    torch_version = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                                   capture_output=True, text=True).stdout.strip() or "not installed"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return [f"- CPU: {cpu}, {os.cpu_count()} cores visible; RAM {ram}",
            f"- Python {platform.python_version()}, torch {torch_version}, {platform.platform()}",
            f"- date: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
            f"- load average (1/5/15 min) at start: {load}"]


def busy_note(load_at_start: float) -> list[str]:
    """A warning line when the machine was already busy when the run started (1-minute load average above
    half the cores): absolute times are then inflated, ratios measured in the same run hold better."""
    cores = os.cpu_count() or 1
    if load_at_start <= cores / 2:
        return []
    return [f"- note: the machine was busy at the start (load {load_at_start:.1f} on {cores} cores), so absolute "
            "times are inflated and noisy; ratios measured in the same run (interleaved) hold better."]


def run(script: list[str], limit: float) -> tuple[str, str, float]:
    """(status, output, seconds) of one benchmark subprocess."""
    started = time.perf_counter()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    try:
        proc = subprocess.run([sys.executable, str(BENCH / script[0]), *script[1:]], capture_output=True,
                              text=True, timeout=limit, cwd=ROOT, env=env)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return f"failed: timed out after {limit:.0f} s", out, time.perf_counter() - started
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no error output)"])[-1][:200]
        return f"failed: exit code {proc.returncode}: {last}", proc.stdout, seconds
    return "ok", proc.stdout, seconds


def previous(text: str, rerun: list[str]) -> tuple[list[str], list[str], list[str], str]:
    """From an earlier RESULTS.md: (sections, headlines, status rows, its date) of the benchmarks not in
    `rerun`, so `--only` refreshes some benchmarks without losing the others' figures."""
    date = next((line.removeprefix("- date: ") for line in text.splitlines() if line.startswith("- date: ")), "?")
    names = [n for n, _, _ in BENCHMARKS if n not in rerun]
    parts = text.split("\n## ")
    sections = [f"## {p.rstrip()}\n" for p in parts[1:] if p.split("\n", 1)[0] in names]
    headlines = [line for line in text.splitlines() if any(line.startswith(f"- {n}: ") for n in names)]
    statuses = [line for line in text.splitlines() if any(line.startswith(f"| {n} | ") for n in names)]
    return sections, headlines, statuses, date


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=1200, help="seconds for the whole run")
    parser.add_argument("--only", nargs="+", help="run only these benchmarks (names as in RESULTS.md)")
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    args = parser.parse_args()
    started = time.perf_counter()
    header = machine()
    start_load = os.getloadavg()[0]
    sections, headlines, statuses = [], [], []
    for name, script, limit in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        left = args.budget - (time.perf_counter() - started)
        if name == "course":  # it sizes its grading run to fit what is left
            script = [*script, "--budget", f"{max(60.0, left - 60):.0f}"]
        limit = min(limit, left - 10)
        if limit < 30:
            status, out, seconds = "failed: no time left in the budget", "", 0.0
        else:
            print(f"[{time.perf_counter() - started:6.0f} s] {name}: {' '.join(script)} (limit {limit:.0f} s)",
                  flush=True)
            status, out, seconds = run(script, limit)
        print(f"         {name}: {status} in {seconds:.0f} s", flush=True)
        statuses.append(f"| {name} | `bench/{' '.join(script)}` | {seconds:.0f} | {status} |")
        lines = out.rstrip().splitlines()
        headlines += [f"- {name}: {line.removeprefix('HEADLINE:').strip()}" for line in lines
                      if line.startswith("HEADLINE:")]
        body = "\n".join(line for line in lines if not line.startswith("HEADLINE:")) or "(no output)"
        sections.append(f"## {name}\n\nstatus: {status} ({seconds:.0f} s)\n\n```\n{body}\n```\n")
    total = time.perf_counter() - started
    if args.only and args.out.exists():
        old_sections, old_headlines, old_statuses, old_date = previous(args.out.read_text(), args.only)
        sections += old_sections
        headlines += old_headlines
        statuses += old_statuses
        header.append(f"- benchmarks not in `--only` ({', '.join(n for n, _, _ in BENCHMARKS if n not in args.only)})"
                      f" are kept from the previous run ({old_date})")
    text = "\n".join([
        "# Strategy Lab benchmarks", "",
        f"Generated by `make bench` (bench/run_all.py) in {total:.0f} s. Do not edit by hand.", "",
        "## Headlines", "", *(headlines or ["- (no benchmark produced a headline)"]), "",
        "## Machine", "", *header,
        *busy_note(start_load), "",
        "## Runs", "", "| benchmark | command | seconds | status |", "|---|---|---|---|", *statuses, "",
        *sections])
    args.out.write_text(text)
    print(f"wrote {args.out} ({total:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
