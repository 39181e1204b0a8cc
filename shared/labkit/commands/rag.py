"""`labkit index` and `labkit ask`: build a RAG index from a folder of documents and query it.

    labkit index shared/labkit/data/kb --db vectordb          # idempotent: run it again after edits
    labkit ask "How long do refunds take?" --db vectordb      # a grounded answer with citations
    labkit ask "refund window" --db vectordb --hits-only      # just the retrieved chunks (no model)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="index a folder of markdown/text files into a persistent chromadb folder")
    p.add_argument("folder", help="folder of .md/.markdown/.txt files (searched recursively)")
    p.add_argument("--db", required=True, help="the index folder (created if missing)")
    p.add_argument("--collection", default="docs", help="collection name (default: docs)")
    p.add_argument("--prune", action="store_true", help="also remove indexed documents no longer in the folder")
    p.set_defaults(func=run_index)

    p = sub.add_parser("ask", help="answer a question from an index, with citations")
    p.add_argument("question")
    p.add_argument("--db", required=True, help="the index folder written by `labkit index`")
    p.add_argument("--collection", default="docs", help="collection name (default: docs)")
    p.add_argument("--top-k", type=int, default=5, help="chunks to retrieve (default: 5)")
    p.add_argument("--mode", choices=("hybrid", "dense", "keyword"), default="hybrid")
    p.add_argument("--max-tokens", type=int, default=150, help="answer length limit (default: 150)")
    p.add_argument("--hits-only", action="store_true", help="only retrieve; do not call the model")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_ask)


def _open(args: argparse.Namespace, must_exist: bool):
    from pathlib import Path

    from labkit.rag import Index

    if must_exist and not Path(args.db).is_dir():
        raise FileNotFoundError(f"{args.db}: no index folder here; build one with `labkit index DIR --db {args.db}`")
    return Index(args.db, collection=args.collection)


def run_index(args: argparse.Namespace) -> int:
    from labkit.rag import IndexUnreadable, load_folder

    started = time.perf_counter()
    try:
        docs = load_folder(args.folder)
        index = _open(args, must_exist=False)
        report = index.add(docs)
        pruned = 0
        if args.prune:
            keep = {d.id for d in docs}
            pruned = sum(index.remove(doc_id) for doc_id in index.documents() if doc_id not in keep)
    except (FileNotFoundError, ValueError, IndexUnreadable) as exc:
        print(f"labkit index: {exc}", file=sys.stderr)
        return 2
    print(f"{len(docs)} documents: {report.added} added, {report.updated} updated, {report.unchanged} unchanged; "
          f"{report.added_chunks} chunks written, {report.removed_chunks + pruned} removed; "
          f"{len(index)} chunks in {args.db} ({time.perf_counter() - started:.1f} s)")
    return 0


def run_ask(args: argparse.Namespace) -> int:
    from labkit.rag import IndexUnreadable, answer

    try:
        index = _open(args, must_exist=True)
        if args.hits_only:
            hits, result = index.search(args.question, top_k=args.top_k, mode=args.mode), None
        else:
            result = answer(args.question, index, top_k=args.top_k, max_tokens=args.max_tokens, mode=args.mode)
            hits = result.hits
    except (FileNotFoundError, IndexUnreadable) as exc:
        print(f"labkit ask: {exc}", file=sys.stderr)
        return 2
    if args.json:
        out = {"question": args.question, "hits": [asdict(h) for h in hits]}
        if result is not None:
            out.update(answer=result.text, citations=result.citations, invalid_citations=result.invalid_citations,
                       refused=result.refused, usage=result.usage, latency_ms=round(result.latency_ms, 1))
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    if result is not None:
        print(result.text)
        invalid = f"   not among the sources: {', '.join(result.invalid_citations)}" if result.invalid_citations else ""
        print(f"\ncited: {', '.join(result.citations) or '(none)'}{invalid}")
    print("\nsources:" if result is not None else "hits:")
    for rank, h in enumerate(hits, start=1):
        print(f"  {rank}. {h.chunk_id:28} {h.score:.3f}  {h.source}")
    return 0
