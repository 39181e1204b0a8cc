"""Retrieval latency of `labkit.rag.Index.search` (query embedding included) at 1k, 10k and 100k chunks.

The seed article's decision matrix says RAG's "retrieval adds 100-500ms". This measures what one search
costs here, dense and hybrid (dense + BM25 fused by RRF), as the index grows.

How the big indexes are made (embedding 100k texts with MiniLM would take ~45 min on 2 cores):
- the real AcmeCorp KB is indexed with `Index.add` (its chunks are real, embedded by the model);
- filler chunks get synthetic texts (words drawn from the KB's own vocabulary, with its frequencies) and
  precomputed vectors: a real KB chunk vector plus Gaussian noise, normalized to unit length. `Index` has
  no public way to add precomputed embeddings, so fillers go straight into its chromadb collection
  (`index._collection.add`) with the same metadata fields `Index.add` writes. `Index`'s BM25 side is
  rebuilt from the collection's stored texts whenever the chunk count changes, so hybrid search covers
  every chunk, fillers included; that one-off rebuild is timed separately (not part of search latency).
- one index grows 1k -> 10k -> 100k chunks; at each size every query runs once per mode after a warm-up.

Queries: the eval set's questions (dev + test). Latency = wall time of `index.search(q, top_k=5, mode)`;
the two modes alternate per question, and the query embedding alone (`embed([q])`) is timed for reference.

Run: .venv/bin/python bench/retrieval_latency.py [--sizes 1000 10000 100000] [--queries 40]
"""

from __future__ import annotations

import argparse
import collections
import re
import tempfile
import time

import numpy as np

from labkit.data import load_docs, load_eval
from labkit.embed import embed
from labkit.rag import Index

SEED_CLAIM_MS = (100, 500)
FILL_BATCH = 5000  # below chromadb's max batch size


def vocabulary(texts: list[str]) -> tuple[list[str], np.ndarray]:
    counts = collections.Counter(w for t in texts for w in re.findall(r"[A-Za-z][A-Za-z0-9'-]*|\d+", t))
    words = list(counts)
    freq = np.array([counts[w] for w in words], dtype=np.float64)
    return words, freq / freq.sum()


def add_fillers(index: Index, start: int, count: int, base: np.ndarray, words: list[str], p: np.ndarray,
                rng: np.random.Generator) -> None:
    """Add `count` synthetic chunks (ids filler-<n>#0) with perturbed real vectors, straight into chromadb."""
    for lo in range(start, start + count, FILL_BATCH):
        hi = min(lo + FILL_BATCH, start + count)
        n = hi - lo
        vectors = base[rng.integers(0, len(base), n)] + rng.normal(0, 0.04, (n, base.shape[1]))
        vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        lengths = rng.integers(60, 200, n)
        picks = rng.choice(len(words), size=int(lengths.sum()), p=p)
        texts, pos = [], 0
        for length in lengths:
            texts.append(" ".join(words[i] for i in picks[pos:pos + length]))
            pos += length
        ids = [f"filler-{i}#0" for i in range(lo, hi)]
        metas = [{"doc_id": f"filler-{i}", "source": "synthetic", "title": f"Filler {i}", "doc_hash": "synthetic",
                  "n": 0} for i in range(lo, hi)]
        index._collection.add(ids=ids, embeddings=vectors, documents=texts, metadatas=metas)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def verdict(p50: float, p95: float) -> str:
    lo, hi = SEED_CLAIM_MS
    if lo <= p50 <= hi:
        return "agree (p50 within 100-500 ms)"
    side = "below" if p50 < lo else "above"
    return f"disagree (p50 {side} 100-500 ms; p95 {'inside' if lo <= p95 <= hi else 'outside'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--queries", type=int, default=40, help="eval questions per mode and size")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    questions = [q.question for q in load_eval("all")][:args.queries]
    docs = load_docs()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        index = Index(tmp)
        index.add(docs)  # the real chunks, embedded by the model
        real = len(index)
        stored = index._collection.get(include=["embeddings", "documents"])
        base = np.asarray(stored["embeddings"], dtype=np.float32)
        words, p = vocabulary(stored["documents"])
        filled = 0
        for size in sorted(args.sizes):
            need = size - real - filled
            started = time.perf_counter()
            if need > 0:
                add_fillers(index, filled, need, base, words, p, rng)
                filled += need
            fill_s = time.perf_counter() - started
            assert len(index) == max(size, real), (len(index), size)
            started = time.perf_counter()
            index.search("refund policy", mode="hybrid")  # rebuilds BM25 over all chunks, warms up
            rebuild_s = time.perf_counter() - started
            assert index._keyword_index().ids.__len__() == len(index)
            latencies: dict[str, list[float]] = {"embed only": [], "dense": [], "hybrid": []}
            for i, q in enumerate(questions):  # modes interleaved (order alternating): load hits all alike
                order = ("dense", "hybrid") if i % 2 == 0 else ("hybrid", "dense")
                for mode in order:
                    t0 = time.perf_counter()
                    hits = index.search(q, top_k=5, mode=mode)
                    latencies[mode].append((time.perf_counter() - t0) * 1000)
                    assert len(hits) == 5
                t0 = time.perf_counter()
                embed([q])
                latencies["embed only"].append((time.perf_counter() - t0) * 1000)
            for mode in ("dense", "hybrid"):
                p50, p95 = percentile(latencies[mode], 50), percentile(latencies[mode], 95)
                rows.append((len(index), mode, p50, p95, percentile(latencies["embed only"], 50), fill_s,
                             rebuild_s, verdict(p50, p95)))
                print(f"  {len(index):>7} chunks {mode:6}: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms", flush=True)
    print(f"\nIndex.search latency, top_k=5, query embedding included; {len(questions)} eval questions per cell; "
          f"{real} real KB chunks + synthetic fillers")
    print("| chunks | mode | p50 ms | p95 ms | query embed alone p50 ms | fill s (chromadb add) | BM25 rebuild s "
          "| seed's 100-500 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for n, mode, p50, p95, emb, fill_s, rebuild_s, v in rows:
        print(f"| {n:,} | {mode} | {p50:.1f} | {p95:.1f} | {emb:.1f} | {fill_s:.1f} | {rebuild_s:.1f} | {v} |")
    cells = "; ".join(f"{n // 1000}k {mode} {p50:.0f}/{p95:.0f}" for n, mode, p50, p95, *_ in rows)
    print(f"HEADLINE: Index.search p50/p95 ms (query embedding included): {cells}")


if __name__ == "__main__":
    main()
