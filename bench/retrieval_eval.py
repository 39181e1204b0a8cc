"""Retrieval quality and speed of labkit.rag on two corpora: dense vs keyword (BM25) vs hybrid (RRF).

    .venv/bin/python bench/retrieval_eval.py            # the table for the default chunking
    .venv/bin/python bench/retrieval_eval.py --grid     # also sweep chunk size / overlap / title prefix

Corpora: the AcmeCorp knowledge base with the answerable dev questions (gold = `sources`; the test split
stays locked for the recorded run), and a second, unrelated corpus (a bicycle repair shop's help centre,
tests/fixtures/second_corpus) so the chunking defaults are not tuned to one collection only.
Metrics (defined in labkit.rag): recall@k = a gold document is among the documents of the top-k chunks;
MRR = mean of 1/rank of the first gold document in the document ranking of the top-10 chunks.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from labkit.data import load_docs, load_eval
from labkit.rag import CHUNK_OVERLAP, CHUNK_SIZE, MODES, Index, evaluate_retrieval, load_folder

ROOT = Path(__file__).resolve().parents[1]
SECOND = ROOT / "tests" / "fixtures" / "second_corpus"


def corpora() -> dict[str, tuple[list, list[tuple[str, str, list[str]]]]]:
    """name -> (documents, [(question id, question, gold doc ids)])."""
    acme = [(q.id, q.question, q.sources) for q in load_eval("dev") if q.answerable]  # tuning: dev only
    rows = [json.loads(line) for line in (SECOND / "questions.jsonl").read_text().splitlines() if line.strip()]
    bikes = [(r["id"], r["question"], r["sources"]) for r in rows]
    return {"acme": (load_docs(), acme), "bike-shop": (load_folder(SECOND / "docs"), bikes)}


def measure(docs, questions, **params) -> tuple[dict, float, Index]:
    """Build an index with `params`, time the build, and score every mode."""
    started = time.perf_counter()
    index = Index(**params)
    index.add(docs)
    build = time.perf_counter() - started
    return {mode: evaluate_retrieval(index, questions, mode=mode) for mode in MODES}, build, index


def table(name: str, scores: dict, build: float, index: Index) -> str:
    lines = [f"\n{name}: {len(index)} chunks, index built in {build:.1f} s",
             f"{'mode':8} {'recall@1':>9} {'recall@5':>9} {'MRR':>6} {'p50 ms':>7}  misses@5"]
    for mode, s in scores.items():
        lines.append(f"{mode:8} {s.recall[1]:9.3f} {s.recall[5]:9.3f} {s.mrr:6.3f} "
                     f"{statistics.median(s.latency_ms):7.1f}  {' '.join(s.misses) or '-'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", action="store_true", help="sweep chunk size, overlap and title prefixing")
    args = parser.parse_args()
    data = corpora()
    # Load the embedding model once so the first build time is the index, not the import.
    from labkit.embed import embed
    embed(["warm-up"])
    print(f"chunk_size={CHUNK_SIZE} overlap={CHUNK_OVERLAP} title_prefix=True (labkit.rag defaults)")
    for name, (docs, questions) in data.items():
        scores, build, index = measure(docs, questions)
        print(table(name, scores, build, index))
    if args.grid:
        print("\nhybrid recall@5 / MRR by chunking (acme | bike-shop):")
        for size, overlap in ((80, 20), (120, 30), (160, 40), (200, 0), (200, 40), (250, 50)):
            for prefix in (True, False):
                cells = []
                for docs, questions in data.values():
                    scores, _, index = measure(docs, questions, chunk_size=size, overlap=overlap,
                                               title_prefix=prefix)
                    h = scores["hybrid"]
                    cells.append(f"{h.recall[5]:.3f} / {h.mrr:.3f} ({len(index)} chunks)")
                print(f"  size={size:3} overlap={overlap:2} title={'yes' if prefix else 'no ':3}  " + " | ".join(cells))


if __name__ == "__main__":
    main()
