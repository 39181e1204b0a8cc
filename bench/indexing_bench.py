"""Indexing speed: the seed article's one-at-a-time loop vs `labkit.rag.Index.add`, on the same texts.

The seed's `index_documents` encodes one document with `SentenceTransformer(...).encode` and calls
`collection.add` once per document. `Index.add` encodes in batches of 32 and adds up to 1,000 chunks per
chromadb call. Both are timed in the same run, on the same texts: the chunks `Index` makes of the AcmeCorp
knowledge base (`labkit.data.load_docs()`, default chunking), each embedded as "title\\nchunk" (what
`Index.add` embeds with title_prefix=True). The raw batched encode (`labkit.embed.embed` of those same
texts, no database) shows how much of `Index.add` is the model.

Each variant writes a fresh chromadb PersistentClient folder; the embedding model is loaded (and warmed up)
before any timing. Each variant runs `--repeat` times; the median is reported.

Run: .venv/bin/python bench/indexing_bench.py [--repeat 3]   (about a minute)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import chromadb
from chromadb.config import Settings

from labkit.data import load_docs
from labkit.embed import embed, get_model
from labkit.rag import Index


def seed_texts() -> list[dict]:
    """The KB as the seed's documents: one dict per chunk, content = the text Index.add embeds."""
    index = Index()  # only for its chunking rule (chunks_of); nothing is added
    docs = []
    for doc in load_docs():
        for chunk_id, text in index.chunks_of(doc):
            docs.append({"id": chunk_id, "content": index._embedding_text(doc.title, text),
                         "source": doc.source, "title": doc.title})
    return docs


def seed_loop(documents: list[dict]) -> float:
    """The seed article's index_documents, verbatim apart from the model object and the folder."""
    embedder = get_model()  # SentenceTransformer(all-MiniLM-L6-v2), loaded from the package
    with tempfile.TemporaryDirectory() as tmp:
        db = chromadb.PersistentClient(path=tmp, settings=Settings(anonymized_telemetry=False))
        collection = db.get_or_create_collection("docs", embedding_function=None)
        started = time.perf_counter()
        for doc in documents:
            embedding = embedder.encode(doc["content"]).tolist()
            collection.add(
                ids=[doc["id"]],
                embeddings=[embedding],
                documents=[doc["content"]],
                metadatas=[{"source": doc["source"], "title": doc["title"]}],
            )
        elapsed = time.perf_counter() - started
        assert collection.count() == len(documents)
    return elapsed


def index_add(n_expected: int) -> float:
    docs = load_docs()
    with tempfile.TemporaryDirectory() as tmp:
        index = Index(tmp)
        started = time.perf_counter()
        report = index.add(docs)
        elapsed = time.perf_counter() - started
        assert report.added_chunks == n_expected == len(index), (report, n_expected)
    return elapsed


def raw_encode(texts: list[str]) -> float:
    started = time.perf_counter()
    vectors = embed(texts)
    elapsed = time.perf_counter() - started
    assert vectors.shape == (len(texts), 384)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per variant (median reported)")
    args = parser.parse_args()
    documents = seed_texts()
    texts = [d["content"] for d in documents]
    words = sum(len(t.split()) for t in texts)
    embed(texts[:8])  # load and warm up the model outside every timing
    times: dict[str, list[float]] = {"seed loop": [], "Index.add": [], "raw embed()": []}
    for _ in range(args.repeat):  # interleaved, so machine load hits each variant alike
        times["seed loop"].append(seed_loop(documents))
        times["Index.add"].append(index_add(len(documents)))
        times["raw embed()"].append(raw_encode(texts))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"Same texts for every variant: {len(texts)} chunks of {len(load_docs())} AcmeCorp KB documents "
          f"({words} words; labkit.rag defaults, title-prefixed), median of {args.repeat} runs")
    print("| variant | what it does | seconds (median) | runs | chunks/s |")
    print("|---|---|---|---|---|")
    what = {"seed loop": "encode 1 text + collection.add 1 row, per chunk (seed's index_documents)",
            "Index.add": "chunk, batched encode (32), collection.add per 1,000 rows, content hashes",
            "raw embed()": "labkit.embed.embed(texts): batched encode only, no database"}
    for name, t in med.items():
        runs = ", ".join(f"{x:.2f}" for x in times[name])
        print(f"| {name} | {what[name]} | {t:.2f} | {runs} | {len(texts) / t:.0f} |")
    ratio = med["seed loop"] / med["Index.add"]
    overhead = med["Index.add"] / med["raw embed()"]
    print(f"\nseed loop / Index.add: {ratio:.2f}x")
    if overhead >= 1:
        note = f"Index.add spends {100 * med['raw embed()'] / med['Index.add']:.0f}% of its time in the batched encode"
    else:  # Index.add includes the same encode, so a ratio below 1 is run-to-run noise
        note = "below 1x: run-to-run noise, Index.add does the same encode plus its bookkeeping; use --repeat 3"
    print(f"Index.add / raw embed(): {overhead:.2f}x ({note})")
    print(f"HEADLINE: indexing {len(texts)} knowledge-base chunks: seed one-at-a-time loop {med['seed loop']:.1f} s vs "
          f"Index.add {med['Index.add']:.1f} s = {ratio:.2f}x; Index.add is {overhead:.2f}x raw batched "
          f"encode ({med['raw embed()']:.1f} s)")


if __name__ == "__main__":
    main()
