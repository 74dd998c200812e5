"""Fusing BM25 and cosine scores that live on different scales."""

from __future__ import annotations

import pytest

from rag.search.fusion import fuse


def test_the_best_match_of_both_retrievers_scores_one() -> None:
    fused = fuse({"a": 12.0, "b": 6.0}, {"a": 0.9, "b": 0.85}, dense_floor=0.8, keyword_weight=1.0, dense_weight=0.3)
    assert fused[0] == ("a", pytest.approx(1.0))


def test_scores_are_scaled_before_they_are_mixed() -> None:
    fused = dict(
        fuse({"a": 12.0, "b": 6.0}, {"a": 0.85, "b": 0.9}, dense_floor=0.8, keyword_weight=1.0, dense_weight=1.0)
    )
    assert fused["a"] == pytest.approx((1.0 + 0.5) / 2)
    assert fused["b"] == pytest.approx((0.5 + 1.0) / 2)


def test_a_cosine_below_the_typical_similarity_adds_nothing() -> None:
    fused = dict(fuse({}, {"a": 0.9, "b": 0.7}, dense_floor=0.8, keyword_weight=1.0, dense_weight=1.0))
    assert fused == {"a": pytest.approx(1.0), "b": 0.0}


def test_an_id_found_by_one_retriever_only_scores_zero_in_the_other() -> None:
    fused = dict(fuse({"a": 4.0}, {"b": 0.9}, dense_floor=0.8, keyword_weight=1.0, dense_weight=1.0))
    assert fused == {"a": pytest.approx(0.5), "b": pytest.approx(0.5)}


def test_nothing_found_fuses_to_nothing() -> None:
    assert fuse({}, {}, dense_floor=0.8, keyword_weight=1.0, dense_weight=0.3) == []
