"""The local engine: model load time, prompt reading and writing speed, one slot and batched.

- load: "cold" = joining the six package parts into one GGUF file in a fresh cache folder and starting
  llama.cpp's server on it; "cached" = starting a server on the joined file again;
- prefill (prompt reading) and decode (writing) tokens/s on one slot, measured through the anthropic SDK
  with streaming: prefill = prompt tokens / time to the first text; decode = tokens after the first /
  time after the first (so each figure excludes the other);
- batched: N requests at once to a server with N slots: aggregate output tokens/s, and how many of the N
  answers differ from the same request answered alone (batching changes llama.cpp's arithmetic);
- a second server up: decode tokens/s of one server after a second one (the format adapter) has answered,
  as a share of the same server alone. Each server runs in its own process (labkit.server_process); two in
  one process, as before, measured 6-11 of 18 tokens/s on 2 cores.

Run: .venv/bin/python bench/local_model_bench.py   (about 2 minutes)
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anthropic

from labkit import engine
from labkit.adapters import FORMAT

SYSTEM = "You are a customer support agent for AcmeCorp. Refunds: full refund within 14 days, pro-rated after."
QUESTIONS = ["I bought the Pro plan three weeks ago. Can I get a refund? Explain the policy.",
             "How do I export all my data?", "What does the Enterprise plan include?",
             "My invoice looks wrong, what should I do?", "Can I pay with PayPal?",
             "How many team members can Basic have?", "Why was my card declined?", "Do you have a Linux app?"]
LONG = "Documentation:\n" + "AcmeCorp Pro costs $29/month and includes 50 GB of storage. " * 80 + "\nQuestion: price?"
N_NEW = 80


def client_for(served: engine.Served) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="local", base_url=served.url, max_retries=0)


def timed_stream(client, system, question, max_tokens):
    """(first text time, end time, usage) of one streamed request, times from its start."""
    t0 = time.perf_counter()
    first = None
    with client.messages.stream(model="local", max_tokens=max_tokens, system=system,
                                messages=[{"role": "user", "content": question}]) as stream:
        for _ in stream.text_stream:
            first = first or time.perf_counter() - t0
        final = stream.get_final_message()
    return first, time.perf_counter() - t0, final


def one_slot_rates(client) -> tuple[float, float]:
    """(prefill, decode) tokens/s on one slot: prompt tokens / time to the first text of a long prompt;
    tokens after the first / time after the first of a reply (so each figure excludes the other)."""
    timed_stream(client, SYSTEM, "Hi", 4)  # warm-up
    first, _, final = timed_stream(client, None, LONG, 2)
    prefill = (final.usage.input_tokens + (final.usage.cache_read_input_tokens or 0)) / first
    first, end, final = timed_stream(client, SYSTEM, QUESTIONS[0], N_NEW)
    return prefill, (final.usage.output_tokens - 1) / (end - first)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = engine.join_parts(engine.qwen_part_files(), Path(tmp) / f"{engine.MODEL_NAME}.gguf")
        served = engine.start(path)
        cold = time.perf_counter() - t0
        del served
        served = engine.start(path)
        cached = served.load_seconds
        client = client_for(served)
        prefill, decode = one_slot_rates(client)
        alone = {q: client.messages.create(model="local", max_tokens=N_NEW, system=SYSTEM,
                                           messages=[{"role": "user", "content": q}]).content[0].text
                 for q in QUESTIONS[:4]}
        del served, client
        batched = engine.start(path, parallel=4)
        bclient = client_for(batched)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(lambda q: bclient.messages.create(
                model="local", max_tokens=N_NEW, system=SYSTEM, messages=[{"role": "user", "content": q}]),
                QUESTIONS[:4]))
        wall = time.perf_counter() - t0
        aggregate = sum(r.usage.output_tokens for r in replies) / wall
        changed = sum(r.content[0].text != alone[q] for q, r in zip(QUESTIONS[:4], replies))
        del batched  # its server process stops
        second = engine.start(path, FORMAT.path)
        client_for(second).messages.create(model="local", max_tokens=8, messages=[{"role": "user", "content": "Hi"}])
        fresh = engine.start(path)  # kept in a name: a server stops when its Served is garbage collected
        beside = one_slot_rates(client_for(fresh))[1]
        del second, fresh
    print(f"Qwen2.5-Coder-0.5B-Instruct Q4_K_M on llama.cpp's server (xllamacpp), greedy, {engine.N_THREADS} threads")
    print("| measure | value |\n|---|---:|")
    print(f"| cold load (join parts + start server) | {cold:.1f} s |")
    print(f"| cached load (start server) | {cached:.1f} s |")
    print(f"| prefill, one slot | {prefill:.0f} tokens/s |")
    print(f"| decode, one slot | {decode:.1f} tokens/s |")
    print(f"| decode, 4 slots x 4 concurrent requests (aggregate) | {aggregate:.1f} tokens/s |")
    print(f"| answers changed by batching (of 4) | {changed} |")
    print(f"| decode, one slot, a second server (adapter) up | {beside:.1f} tokens/s "
          f"({beside / decode:.0%} of alone) |")
    print(f"HEADLINE: engine: cold load {cold:.1f} s, cached {cached:.1f} s; prefill {prefill:.0f} tok/s, "
          f"decode {decode:.1f} tok/s on one slot, {aggregate:.1f} tok/s aggregate with 4 slots "
          f"({changed}/4 answers changed by batching); with a second server up {beside:.1f} tok/s "
          f"({beside / decode:.0%} of alone)")


if __name__ == "__main__":
    main()
