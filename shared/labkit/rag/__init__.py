"""Retrieval-augmented generation: chunk documents, index them, retrieve, answer with citations.

    from labkit.data import load_docs
    from labkit.rag import Index, answer

    index = Index("vectordb")              # a chromadb folder; reopening it keeps what was indexed
    index.add(load_docs())                 # idempotent: adding the same documents again adds nothing
    index.search("how long do refunds take?", top_k=5, mode="hybrid")
    answer("how long do refunds take?", index).text

The pipeline is the seed article's (MiniLM embeddings + a persistent chromadb collection + Claude), with
what a production version needs. One file per step, in the order the data flows; open the one you need:

| file | what it does | lesson 02 |
|---|---|---|
| `chunking.py` | documents -> chunks that end on sentence boundaries, with overlap | section 1, exercise 2.1 |
| `keyword.py` | BM25 keyword search and reciprocal rank fusion (the "hybrid" part) | section 4, exercise 2.3 |
| `index.py` | the persistent chromadb index: add (content-hashed, never duplicates), search | sections 3-4 |
| `metrics.py` | recall@k, MRR and the evaluation of an index on a question set | section 4, exercise 2.2 |
| `grounded.py` | the grounded prompt (retrieved text as data), the answer, its checked citations | sections 5-7 |
| `folders.py` | a folder of markdown/text files as Documents (`labkit index DIR`) | section 10 |

Used by lessons 02 and 04, `labkit.strategies.Rag` and `labkit index` / `labkit ask`.
"""

from labkit.documents import Document
from labkit.rag.chunking import CHUNK_OVERLAP, CHUNK_SIZE, chunk
from labkit.rag.folders import TEXT_SUFFIXES, load_folder, read_document
from labkit.rag.grounded import (
    EXAMPLE_TURNS,
    REFUSAL,
    SYSTEM_PROMPT,
    Answer,
    answer,
    build_context,
    build_prompt,
    check_citations,
)
from labkit.rag.index import (
    ADD_BATCH,
    EMBED_BATCH,
    HYBRID_DEPTH,
    MODES,
    AddReport,
    Hit,
    Index,
    IndexUnreadable,
    Mode,
)
from labkit.rag.keyword import RRF_K, rrf, tokenize
from labkit.rag.metrics import RetrievalScores, doc_ids, evaluate_retrieval, recall_at_k, reciprocal_rank
from labkit.replies import is_refusal

__all__ = [
    "ADD_BATCH", "CHUNK_OVERLAP", "CHUNK_SIZE", "EMBED_BATCH", "EXAMPLE_TURNS", "HYBRID_DEPTH", "MODES", "REFUSAL",
    "RRF_K", "SYSTEM_PROMPT", "TEXT_SUFFIXES", "AddReport", "Answer", "Document", "Hit", "Index", "IndexUnreadable",
    "Mode", "RetrievalScores", "answer", "build_context", "build_prompt", "check_citations", "chunk", "doc_ids",
    "evaluate_retrieval", "is_refusal", "load_folder", "read_document", "recall_at_k", "reciprocal_rank", "rrf",
    "tokenize",
]
