"""The index: a persistent chromadb collection of document chunks with dense, keyword and hybrid search.

Embeddings are always computed here (`labkit.embed`, all-MiniLM-L6-v2) and handed to chromadb explicitly:
chromadb's own default embedding function would download a model, so it must never run. A content hash
per document makes re-indexing cheap and never duplicates. Lesson 02 sections 3-4; `labkit index`.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from labkit.documents import Document
from labkit.embed import embed
from labkit.rag.chunking import CHUNK_OVERLAP, CHUNK_SIZE, chunk
from labkit.rag.keyword import _Keyword, rrf

Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[str, ...] = ("hybrid", "dense", "keyword")

EMBED_BATCH = 32          # labkit.embed measured 32 as the fastest batch on 2 cores
ADD_BATCH = 1000          # chromadb accepts large batches; fewer calls is faster
HYBRID_DEPTH = 20         # how many dense and keyword candidates reciprocal rank fusion sees
RRF_K = 60                # the constant of the original RRF paper (Cormack et al., 2009)

@dataclass(frozen=True)
class Hit:
    """One retrieved chunk. `score`: cosine similarity (dense), BM25 score (keyword) or RRF score (hybrid)."""

    doc_id: str
    chunk_id: str
    source: str
    title: str
    text: str
    score: float


@dataclass(frozen=True)
class AddReport:
    """What `Index.add` did: documents added, updated (re-chunked) and unchanged, chunks removed/added."""

    added: int
    updated: int
    unchanged: int
    removed_chunks: int
    added_chunks: int = 0


class IndexUnreadable(RuntimeError):
    """The index folder (or server) cannot be read; the message names it and says how to rebuild."""


def _hash(doc: Document, size: int, overlap: int, title_prefix: bool) -> str:
    """A fingerprint of everything that decides a document's chunks and vectors."""
    key = "\x1f".join([doc.title, doc.source, doc.text, str(size), str(overlap), str(title_prefix)])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


_COLLECTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]")


def _client_settings():
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False)


class Index:
    """A persistent chromadb collection of document chunks with dense, keyword and hybrid search.

    path: the chromadb folder (created if missing; None -> a temporary folder deleted at exit).
    host: "HOST" or "HOST:PORT" of a shared `chroma run` server (default port 8000); when path is None
          and host is None, $CHROMA_HOST (and $CHROMA_PORT) are used if set.
    chunk_size, overlap, title_prefix: how documents are chunked and embedded (see `chunk`); they are
          part of each document's content hash, so changing them re-chunks documents on the next add.
    """

    def __init__(self, path: str | os.PathLike | None = None, collection: str = "docs", host: str | None = None,
                 *, port: int | None = None, chunk_size: int = CHUNK_SIZE, overlap: int = CHUNK_OVERLAP,
                 title_prefix: bool = True):
        import chromadb
        from chromadb.errors import ChromaError

        chunk("x", chunk_size, overlap)  # validate the parameters now, with chunk's error messages
        if not _COLLECTION_NAME.fullmatch(collection):
            raise ValueError(f"collection name {collection!r}: use 3-512 letters, digits, '.', '_' or '-', "
                             "starting and ending with a letter or digit (a chromadb rule)")
        self.chunk_size, self.overlap, self.title_prefix = chunk_size, overlap, title_prefix
        self.collection_name = collection
        if host is None and path is None and os.environ.get("CHROMA_HOST"):
            host = os.environ["CHROMA_HOST"]
            port = port or int(os.environ.get("CHROMA_PORT", "8000"))
        self.host = host
        self._keyword: _Keyword | None = None
        self._keyword_count = -1
        try:
            if host is not None:
                name, _, port_text = host.partition(":")
                port = int(port_text) if port_text else (port or 8000)
                self.where = f"chroma server {name}:{port}"
                self.path = None
                self._client = chromadb.HttpClient(host=name, port=port, settings=_client_settings())
            else:
                if path is None:
                    path = tempfile.mkdtemp(prefix="labkit-index-")
                    weakref.finalize(self, shutil.rmtree, path, True)
                self.path = Path(path)
                self.where = str(self.path)
                if self.path.exists() and not self.path.is_dir():
                    raise IndexUnreadable(f"{self.path}: is a file, not an index folder; pass a folder path")
                self._client = chromadb.PersistentClient(path=str(self.path), settings=_client_settings())
            self._collection = self._client.get_or_create_collection(
                collection, embedding_function=None, metadata={"hnsw:space": "cosine"})
        except (ChromaError, OSError, ValueError) as exc:  # sqlite, file system, connection errors
            raise self._unreadable(exc) from exc

    def _unreadable(self, exc: BaseException) -> IndexUnreadable:
        if self.host:
            return IndexUnreadable(f"{self.where}: cannot use the server ({exc.__class__.__name__}: {exc}); is "
                                   "`chroma run --path DIR --port PORT` running there, and are CHROMA_HOST/PORT right?")
        return IndexUnreadable(f"{self.where}: the index cannot be read ({exc.__class__.__name__}: {exc}); delete "
                               "the folder and index again (e.g. `labkit index DIR --db PATH`)")

    def _call(self, method: str, **kwargs: Any) -> Any:
        """A collection call whose chromadb/sqlite failures become one IndexUnreadable naming the index."""
        from chromadb.errors import ChromaError

        try:
            return getattr(self._collection, method)(**kwargs)
        except (ChromaError, OSError) as exc:
            raise self._unreadable(exc) from exc

    def __len__(self) -> int:
        """The number of chunks in the index."""
        return int(self._call("count"))

    def __repr__(self) -> str:
        return f"Index({self.where!r}, collection={self.collection_name!r}, chunks={len(self)})"

    # -- reading what is stored -----------------------------------------------------------------
    def _all(self, include: list[str]) -> dict:
        """Every chunk's id plus `include` fields, read in pages (chromadb caps one get)."""
        total = len(self)
        out: dict[str, list] = {"ids": [], **{k: [] for k in include}}
        for offset in range(0, total, ADD_BATCH):
            page = self._call("get", include=include, limit=ADD_BATCH, offset=offset)
            out["ids"] += page["ids"]
            for k in include:
                out[k] += page[k]
        return out

    def documents(self) -> dict[str, dict]:
        """doc_id -> {"hash", "source", "title", "chunks": [chunk ids]} for every indexed document."""
        docs: dict[str, dict] = {}
        stored = self._all(["metadatas"])
        for chunk_id, meta in zip(stored["ids"], stored["metadatas"], strict=True):
            entry = docs.setdefault(meta["doc_id"], {"hash": meta.get("doc_hash"), "source": meta.get("source", ""),
                                                     "title": meta.get("title", ""), "chunks": []})
            entry["chunks"].append(chunk_id)
        return docs

    # -- writing ----------------------------------------------------------------------------------
    def chunks_of(self, doc: Document) -> list[tuple[str, str]]:
        """(chunk id, chunk text) of a document, ids `<doc_id>#<n>` from 0."""
        return [(f"{doc.id}#{n}", text) for n, text in enumerate(chunk(doc.text, self.chunk_size, self.overlap))]

    def add(self, documents: Iterable[Document]) -> AddReport:
        """Index `documents`: new ones are added, changed ones (by content hash) replace their old chunks,
        unchanged ones are skipped. Nothing is ever duplicated."""
        documents = list(documents)
        seen: set[str] = set()
        for doc in documents:
            if not isinstance(doc, Document):
                raise TypeError(f"Index.add takes labkit.rag.Document objects, got {type(doc).__name__}")
            if doc.id in seen:
                raise ValueError(f"document id {doc.id!r} appears twice in this add; ids must be unique")
            if "#" in doc.id:
                raise ValueError(f"document id {doc.id!r} contains '#', which separates doc and chunk ids")
            seen.add(doc.id)
        stored = self.documents()
        added = updated = unchanged = 0
        stale: list[str] = []
        ids: list[str] = []
        texts: list[str] = []
        metas: list[dict] = []
        for doc in documents:
            digest = _hash(doc, self.chunk_size, self.overlap, self.title_prefix)
            old = stored.get(doc.id)
            if old is not None and old["hash"] == digest:
                unchanged += 1
                continue
            if old is not None:
                updated += 1
                stale += old["chunks"]
            else:
                added += 1
            for n, (chunk_id, text) in enumerate(self.chunks_of(doc)):
                ids.append(chunk_id)
                texts.append(text)
                metas.append({"doc_id": doc.id, "source": doc.source, "title": doc.title, "doc_hash": digest,
                              "n": n})
        # Embed first: if that fails, the index still holds the old version, not nothing.
        vectors = embed([self._embedding_text(m["title"], t) for m, t in zip(metas, texts, strict=True)],
                        batch_size=EMBED_BATCH)
        for start in range(0, len(stale), ADD_BATCH):
            self._call("delete", ids=stale[start:start + ADD_BATCH])
        for start in range(0, len(ids), ADD_BATCH):
            end = start + ADD_BATCH
            self._call("add", ids=ids[start:end], embeddings=vectors[start:end], documents=texts[start:end],
                       metadatas=metas[start:end])
        if ids or stale:
            self._keyword = None
        return AddReport(added=added, updated=updated, unchanged=unchanged, removed_chunks=len(stale),
                         added_chunks=len(ids))

    def remove(self, doc_id: str) -> int:
        """Delete every chunk of document `doc_id`; returns how many were deleted (0 if it was not indexed)."""
        found = self._call("get", where={"doc_id": doc_id}, include=[])["ids"]
        if found:
            self._call("delete", ids=found)
            self._keyword = None
        return len(found)

    def _embedding_text(self, title: str, text: str) -> str:
        return f"{title}\n{text}" if self.title_prefix and title else text

    # -- searching --------------------------------------------------------------------------------
    def _keyword_index(self) -> _Keyword:
        """The BM25 index over the stored chunks, rebuilt when this object changed them or when the
        collection's size changed (another process or a reopened folder)."""
        count = len(self)
        if self._keyword is None or count != self._keyword_count:
            stored = self._all(["documents", "metadatas"])
            texts = [self._embedding_text(m.get("title", ""), t)
                     for t, m in zip(stored["documents"], stored["metadatas"], strict=True)]
            self._keyword, self._keyword_count = _Keyword(stored["ids"], texts), count
        return self._keyword

    def _dense(self, query: str, k: int) -> list[tuple[str, float]]:
        total = len(self)
        if total == 0 or k < 1:
            return []
        result = self._call("query", query_embeddings=embed([query]), n_results=min(k, total),
                            include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(result["ids"][0], result["distances"][0], strict=True)]

    def search(self, query: str, top_k: int = 5, mode: Mode = "hybrid") -> list[Hit]:
        """The `top_k` chunks most relevant to `query`, best first.

        mode="dense": cosine similarity of MiniLM embeddings; "keyword": BM25; "hybrid": both, fused by
        reciprocal rank fusion of their top-20 lists (`rrf`, k=60).
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if top_k < 1:
            return []
        if mode == "dense":
            ranked = self._dense(query, top_k)
        elif mode == "keyword":
            ranked = self._keyword_index().search(query, top_k)
        else:
            depth = max(top_k, HYBRID_DEPTH)
            dense = [i for i, _ in self._dense(query, depth)]
            keyword = [i for i, _ in self._keyword_index().search(query, depth)]
            ranked = rrf([dense, keyword])[:top_k]
        return self._hits(ranked)

    def _hits(self, ranked: list[tuple[str, float]]) -> list[Hit]:
        if not ranked:
            return []
        ids = [i for i, _ in ranked]
        got = self._call("get", ids=ids, include=["documents", "metadatas"])
        by_id = {i: (t, m) for i, t, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)}
        hits = []
        for chunk_id, score in ranked:
            if chunk_id in by_id:  # a chunk deleted by another process between the two calls is skipped
                text, meta = by_id[chunk_id]
                hits.append(Hit(doc_id=meta["doc_id"], chunk_id=chunk_id, source=meta.get("source", ""),
                                title=meta.get("title", ""), text=text, score=score))
        return hits

    def search_docs(self, query: str, top_k: int = 5, mode: Mode = "hybrid", depth: int = 20) -> list[Hit]:
        """A document-level view: the best chunk of each of the `top_k` best documents among `depth` hits."""
        best: dict[str, Hit] = {}
        for hit in self.search(query, top_k=max(depth, top_k), mode=mode):
            best.setdefault(hit.doc_id, hit)
        return list(best.values())[:top_k]
