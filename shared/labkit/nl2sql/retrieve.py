"""Retrieval for NL->SQL: the training pairs most like a question (few-shot by retrieval) and the schema parts
it needs.

Used by the RAG and hybrid strategies of the NL->SQL lesson (issue 18, `labkit.nl2sql.strategies`). The pool
is small (the train split: about 120 questions, six tables), so the all-MiniLM-L6-v2 vectors of
`labkit.embed` are kept in memory and ranked by dot product (cosine: the vectors have unit length); a
chromadb index would add a folder and a client for no gain at this size.

* `examples(question, k)`: the k training pairs whose questions are most similar.
* `tables(question, n, examples)`: the schema parts to show. The tables the retrieved examples' gold queries
  read, plus the `n` tables whose description (`Table.summary()`) is most similar to the question: the
  examples know which tables questions like this one need, the descriptions catch a table no example used.
  `table_recall` measures how often that covers every table the gold query reads. On the validation split
  (`labkit sql retrieval` prints the grid) descriptions alone find every table for 57% of the
  questions with one table and 82% with two; the tables of 3 examples plus 2 by description cover 93%,
  with 2.4 of the 6 tables shown on average: the default `N_TABLES`.

`K_EXAMPLES = 3` was measured on validation, graded as `labkit.nl2sql.runner.measure_k` grades (every
other question, n=20, local Qwen2.5-Coder-0.5B): execution accuracy 0.30 / 0.35 / 0.25 for k = 1 / 3 / 5,
and k = 1 failed the format 6 times in 20 (the model copied the examples' "SQL:" label). The differences
are within noise at n=20: measure again when the model changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from labkit.data import SqlPair
from labkit.nl2sql.schema import Schema

K_EXAMPLES = 3   # default k: best of 1, 3, 5 on validation (see the module docstring)
N_TABLES = 2     # tables added by description similarity, on top of the examples' tables


@dataclass
class Retriever:
    """In-memory retrieval over training pairs and schema parts (see the module docstring)."""

    pool: Sequence[SqlPair]
    schema: Schema
    _pool_vectors: np.ndarray = field(init=False, repr=False)
    _table_vectors: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from labkit.embed import embed

        self.pool = list(self.pool)
        if not self.pool:
            raise ValueError("the retrieval pool is empty: pass the training pairs (load_split().train)")
        self._pool_vectors = embed([p.question for p in self.pool])
        self._table_vectors = embed([t.summary() for t in self.schema.tables])

    def _query(self, question: str) -> np.ndarray:
        from labkit.embed import embed

        return embed(question)[0]

    def examples(self, question: str, k: int = K_EXAMPLES, exclude: Sequence[str] = ()) -> list[SqlPair]:
        """The `k` pool pairs most similar to `question`, most similar first; pairs whose id is in `exclude`
        (or whose question is `question` itself) are never returned, so a pool pair cannot answer itself."""
        if k <= 0:
            return []
        scores = self._pool_vectors @ self._query(question)
        order = sorted(range(len(self.pool)), key=lambda i: (-float(scores[i]), self.pool[i].id))
        chosen = [self.pool[i] for i in order if self.pool[i].id not in exclude and self.pool[i].question != question]
        return chosen[:k]

    def ranked_tables(self, question: str) -> list[str]:
        """Every table, the most similar description first."""
        scores = self._table_vectors @ self._query(question)
        names = self.schema.names
        return [names[i] for i in sorted(range(len(names)), key=lambda i: (-float(scores[i]), names[i]))]

    def tables(self, question: str, n: int = N_TABLES, examples: Sequence[SqlPair] = ()) -> list[str]:
        """The tables to show for `question`: the `examples`' tables plus the top `n` by description, in
        schema order."""
        wanted = {t for p in examples for t in p.tables} | set(self.ranked_tables(question)[:n])
        return [t for t in self.schema.names if t in wanted]

    def retrieve(self, pair: SqlPair, k: int = K_EXAMPLES, n: int = N_TABLES) -> tuple[list[SqlPair], list[str]]:
        """(the `k` training pairs most like `pair`'s question, never `pair` itself; the tables to show)."""
        examples = self.examples(pair.question, k, exclude=[pair.id])
        return examples, self.tables(pair.question, n, examples)


def table_recall(retriever: Retriever, pairs: Sequence[SqlPair], k: int = K_EXAMPLES, n: int = N_TABLES
                 ) -> tuple[float, float]:
    """(share of `pairs` whose gold tables are all retrieved, mean number of tables shown)."""
    hits, shown = [], []
    for pair in pairs:
        tables = retriever.retrieve(pair, k, n)[1]
        hits.append(set(pair.tables) <= set(tables))
        shown.append(len(tables))
    return float(np.mean(hits)), float(np.mean(shown))
